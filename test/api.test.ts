import test from 'ava';
import { buildModel, expectationsOf, search } from '../src/index.ts';
import migrationEntryWait from '../models/migration-entry-wait.ts';

/**
 * The public entry is all a user imports: the livelock search is part of
 * `search`, with nothing else to load first. (Each test file runs in its
 * own process, so no other test's imports can make this pass.)
 */
test('the public API alone finds the put-and-wait livelock of migration-entry-wait', (t) => {
  const built = buildModel(migrationEntryWait, 'put-and-wait', {});
  const r = search(built);
  t.is(r.verdict, 'violation');
  t.is(r.violation?.kind, 'livelock');
  t.true(r.livenessChecked);
  t.is(typeof r.violation?.cycleStart, 'number');
  // The model's own expectation for the variant at default parameters says the same.
  const expected = expectationsOf(migrationEntryWait, 'put-and-wait').find((e) => e.params === undefined || Object.keys(e.params).length === 0);
  t.like(expected, { verdict: 'violation', kind: 'livelock' });
});
