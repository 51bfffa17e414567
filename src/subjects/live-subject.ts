import type { EntityManager } from 'typeorm';
import type { StoredSubjectKey, SubjectKeysRepository } from '../keys/subject-keys.repository.js';
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
  const state = await keyStore.state(manager, subjectId, lock);
  switch (state.state) {
    case 'missing':
      throw new SubjectNotFoundError();
    case 'erased':
      throw new SubjectErasedError();
    case 'live':
      return state.key;
  }
}
