import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '../harness/test-gateway.js';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';
import { plantFormat1Record } from './legacy-envelope.js';

interface ReadBody {
  data: Record<string, unknown>;
  masked: string[];
}
interface PageBody {
  items: ReadBody[];
}

const GUESSES = Array.from({ length: 16 }, (_, i) => `u-${String(1000 + i)}`);
const VICTIM_SENDER = 'u-1007';
const IDENTIFIERS = ['conversationId', 'senderId', 'recipientId'] as const;

/**
 * A subject homed in `region`: pseudonyms are per region (each region has its own key), so an
 * attacker comparing with a victim's pseudonym works in the victim's region.
 */
async function createSubjectIn(
  gateway: TestGateway,
  token: string,
  region: string,
): Promise<CreatedSubject> {
  for (let i = 0; i < 40; i++) {
    const subject = await createSubject(gateway, token, 'US');
    if (subject.homeRegion === region) return subject;
  }
  throw new Error(`no subject landed in ${region}`);
}

/**
 * A service in another jurisdiction wants to know who sent a US user's message. It may read the
 * message for recommendations (identifiers pseudonymized, any region) and it may write into US
 * subjects (writes into a jurisdiction are allowed). The reproduced attack: write guessed sender
 * ids into a subject of its own, read them back pseudonymized, compare with the victim's.
 */
describe('attack: pseudonyms as an oracle for guessed identifiers', () => {
  let gateway: TestGateway;
  let messaging: string;
  let attacker: string;
  let victim: CreatedSubject;

  const read = (token: string, path: string, purpose: string) =>
    gateway.request<ReadBody>('GET', path, { token, purpose });
  const send = async (
    token: string,
    subject: CreatedSubject,
    recordId: string,
    identifiers: Readonly<Record<(typeof IDENTIFIERS)[number], string>>,
  ): Promise<void> => {
    const written = await gateway.request(
      'PUT',
      recordPath(subject.subjectId, 'direct_message', recordId),
      { token, body: { ...identifiers, sentAt: '2026-11-27T09:00:00Z' } },
    );
    assert.ok(written.status === 200 || written.status === 201, written.text);
  };
  /** The attacker's loop: write every guess, read it back pseudonymized, keep what it saw. */
  const guessAll = async (subject: CreatedSubject, prefix: string): Promise<Set<unknown>> => {
    const seen = new Set<unknown>();
    for (const [i, guess] of GUESSES.entries()) {
      const recordId = `${prefix}-${String(i)}`;
      await send(attacker, subject, recordId, {
        conversationId: guess,
        senderId: guess,
        recipientId: guess,
      });
      const back = await read(
        attacker,
        recordPath(subject.subjectId, 'direct_message', recordId),
        'recommendation',
      );
      assert.equal(back.status, 200, back.text);
      for (const field of IDENTIFIERS) {
        assert.match(String(back.body.data[field]), /^pn_[A-Za-z0-9_-]{22}$/);
        seen.add(back.body.data[field]);
      }
    }
    return seen;
  };

  before(async () => {
    gateway = await TestGateway.start();
    messaging = await gateway.token({ service: 'svc:messaging', region: 'us-east-1' });
    attacker = await gateway.token({ service: 'svc:eu-growth', region: 'eu-central-1' });
    victim = await createSubject(gateway, messaging, 'US');
    await send(messaging, victim, 'm1', {
      conversationId: 'conv-77',
      senderId: VICTIM_SENDER,
      recipientId: 'u-2001',
    });
  });
  after(async () => {
    await gateway.close();
  });

  it('guessed sender ids written and read back by another service never match the victim’s pseudonym', async () => {
    const seen = await read(
      attacker,
      recordPath(victim.subjectId, 'direct_message', 'm1'),
      'recommendation',
    );
    assert.equal(seen.status, 200, seen.text);
    const target = seen.body.data['senderId'];
    assert.match(String(target), /^pn_/);
    assert.notEqual(target, VICTIM_SENDER);

    // Into a US subject the attacker creates, and into the victim itself.
    const mailbox = await createSubjectIn(gateway, attacker, victim.homeRegion);
    const fromMailbox = await guessAll(mailbox, 'guess');
    const fromVictim = await guessAll(victim, 'planted');
    for (const pseudonym of [...fromMailbox, ...fromVictim]) {
      assert.notEqual(pseudonym, target, 'a guess matched the victim’s sender');
    }

    // Not because pseudonyms stopped working: the attacker's own values link across subjects,
    // and the value the victim's writer wrote links across subjects too (what recommendations
    // rely on). Under one pseudonym per value, the guess u-1007 would have matched.
    assert.deepEqual(fromVictim, fromMailbox);
    assert.equal(fromMailbox.size, GUESSES.length * IDENTIFIERS.length);
    const other = await createSubjectIn(gateway, messaging, victim.homeRegion);
    await send(messaging, other, 'm9', {
      conversationId: 'conv-78',
      senderId: VICTIM_SENDER,
      recipientId: 'u-2002',
    });
    const linked = await read(
      attacker,
      recordPath(other.subjectId, 'direct_message', 'm9'),
      'recommendation',
    );
    assert.equal(linked.body.data['senderId'], target);
  });

  it('a message stored before writers were recorded (format 1) is no oracle either', async () => {
    const legacy = await createSubject(gateway, messaging, 'US');
    await send(messaging, legacy, 'old', {
      conversationId: 'placeholder',
      senderId: 'placeholder',
      recipientId: 'placeholder',
    });
    await plantFormat1Record(gateway, legacy, 'direct_message', 'old', {
      conversationId: 'conv-1',
      senderId: VICTIM_SENDER,
      recipientId: 'u-2003',
      sentAt: '2026-01-01T00:00:00Z',
    });
    const seen = await read(
      attacker,
      recordPath(legacy.subjectId, 'direct_message', 'old'),
      'recommendation',
    );
    assert.equal(seen.status, 200, seen.text);
    const target = seen.body.data['senderId'];
    assert.match(String(target), /^pn_/);
    const mailbox = await createSubjectIn(gateway, attacker, legacy.homeRegion);
    const guesses = await guessAll(mailbox, 'legacy-guess');
    assert.ok(!guesses.has(target), 'a guess matched the format 1 message’s sender');
  });

  it('masked is the same whether or not a record has the protected fields', async () => {
    const owner = await gateway.token({ service: 'svc:profile', region: 'us-east-1' });
    const full = await createSubject(gateway, owner, 'US');
    const sparse = await createSubject(gateway, owner, 'US');
    await gateway.request('PUT', recordPath(full.subjectId, 'profile', 'main'), {
      token: owner,
      body: {
        displayName: 'Full',
        username: 'full',
        email: 'full@example.org',
        phone: '+1 555 0101',
        birthDate: '1980-02-02',
        country: 'US',
      },
    });
    await gateway.request('PUT', recordPath(sparse.subjectId, 'profile', 'main'), {
      token: owner,
      body: { displayName: 'Sparse', username: 'sparse', country: 'US' },
    });

    // The attacker reads both across the border: it must not learn which one has an e-mail,
    // a phone or a birth date.
    const a = await read(
      attacker,
      recordPath(full.subjectId, 'profile', 'main'),
      'service-delivery',
    );
    const b = await read(
      attacker,
      recordPath(sparse.subjectId, 'profile', 'main'),
      'service-delivery',
    );
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.deepEqual(a.body.masked, b.body.masked);
    assert.deepEqual([...a.body.masked].sort(), ['birthDate', 'email', 'phone']);
    assert.deepEqual(Object.keys(a.body.data).sort(), ['country', 'displayName', 'username']);
    assert.deepEqual(Object.keys(b.body.data).sort(), ['country', 'displayName', 'username']);
    assert.doesNotMatch(a.text, /full@example|555 0101|1980-02-02/);

    // The same for the fields a caller asks for by name, and in a listing.
    const named = (subject: CreatedSubject) =>
      read(
        attacker,
        `${recordPath(subject.subjectId, 'profile', 'main')}?fields=displayName,email,phone`,
        'service-delivery',
      );
    assert.deepEqual((await named(full)).body.masked, ['email', 'phone']);
    assert.deepEqual((await named(sparse)).body.masked, ['email', 'phone']);
    const listed = await Promise.all(
      [full, sparse].map((subject) =>
        gateway.request<PageBody>('GET', recordPath(subject.subjectId, 'profile'), {
          token: attacker,
          purpose: 'service-delivery',
        }),
      ),
    );
    assert.deepEqual(listed[0]?.body.items[0]?.masked, listed[1]?.body.items[0]?.masked);

    // Recommendation reads of messages with and without a body: content is withheld either way.
    await send(messaging, full, 'with-body', {
      conversationId: 'c',
      senderId: 's',
      recipientId: 'r',
    });
    await gateway.request('PUT', recordPath(sparse.subjectId, 'direct_message', 'with-body'), {
      token: messaging,
      body: { senderId: 's', body: 'private words 51c2' },
    });
    const m1 = await read(
      attacker,
      recordPath(full.subjectId, 'direct_message', 'with-body'),
      'recommendation',
    );
    const m2 = await read(
      attacker,
      recordPath(sparse.subjectId, 'direct_message', 'with-body'),
      'recommendation',
    );
    assert.deepEqual(m1.body.masked, m2.body.masked);
    assert.ok(m2.body.masked.includes('body'));
    assert.doesNotMatch(m2.text, /private words/);
  });
});
