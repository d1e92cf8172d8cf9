import type { Model } from '../src/model/define.ts';
import migrationEntryWait from './migration-entry-wait.ts';
import intervalNotifier from './interval-notifier.ts';
import gpusvmEvict from './gpusvm-evict.ts';
import coherentLongtermPin from './coherent-longterm-pin.ts';
import deviceExclusive from './device-exclusive.ts';
import peterson from './peterson.ts';
import dining from './dining.ts';
import lamportFast from './lamport-fast.ts';
import szymanski from './szymanski.ts';
import bakery from './bakery.ts';
import mcs from './mcs.ts';
import fischer from './fischer.ts';

/** Built-in models, by name. Kernel models first, then the classic benchmarks. */
export const builtinModels: readonly Model[] = [migrationEntryWait, intervalNotifier, gpusvmEvict, coherentLongtermPin, deviceExclusive, peterson, dining, lamportFast, szymanski, bakery, mcs, fischer] as unknown as Model[];
