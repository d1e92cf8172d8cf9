import type { Command } from '../args.ts';
import { checkCommand } from './check.ts';
import { listCommand } from './list.ts';
import { minimizeCommand } from './minimize.ts';
import { replayCommand } from './replay.ts';
import { showCommand } from './show.ts';
import { simulateCommand } from './simulate.ts';
import { verdictsCommand } from './verdicts.ts';
import { testCommand } from './test.ts';
import { swarmMergeCommand } from './swarm-merge.ts';

/** Every command, in the order the help lists them. A new command is a file in this folder and a line here. */
export const commands: readonly Command[] = [listCommand, checkCommand, simulateCommand, replayCommand, showCommand, minimizeCommand, verdictsCommand, testCommand, swarmMergeCommand];
