import type { EntityManager } from 'typeorm';
import type {
  StoredSubjectKey,
  SubjectKeyState,
  SubjectKeysRepository,
} from '../keys/subject-keys.repository.js';
import { SubjectErasedError, SubjectNotFoundError } from './subject.errors.js';

/**
 * 404 `subject_not_found` / 410 `subject_erased` unless the subject is live in this store;
 * its key (if it has one yet). `lock` as in {@link SubjectKeysRepository.state}.
 */
export async function requireLiveSubject(
  keyStore: SubjectKeysRepository,
  manager: EntityManager,
  subjectId: string,
  lock?: 'share' | 'update',
): Promise<StoredSubjectKey | undefined> {
  return liveKeyOf(await keyStore.state(manager, subjectId, lock));
}

/** 404 `subject_not_found` / 410 `subject_erased` unless the state is live; its key if any. */
export function liveKeyOf(state: SubjectKeyState): StoredSubjectKey | undefined {
  switch (state.state) {
    case 'missing':
      throw new SubjectNotFoundError();
    case 'erased':
      throw new SubjectErasedError();
    case 'live':
      return state.key;
  }
}
