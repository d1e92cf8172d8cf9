import type { Model } from '../src/model/define.ts';
import peterson from './peterson.ts';
import dining from './dining.ts';

/** Built-in models, by name. Kernel models first, then the classic benchmarks. */
export const builtinModels: readonly Model[] = [peterson, dining] as unknown as Model[];
