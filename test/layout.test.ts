import test from 'ava';
import fc from 'fast-check';
import { array, bool, buildModel, defineModel, int, oneOf, thread, replicate, threadId, mutex } from '../src/index.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { decodeState } from '../src/trace/decode.ts';
import { layoutDiagram } from '../src/layout/layout.ts';

type DomSpec = { kind: 'bool' } | { kind: 'int'; min: number; span: number } | { kind: 'enum'; n: number } | { kind: 'array'; len: number; max: number };

const domSpec: fc.Arbitrary<DomSpec> = fc.oneof(
  fc.record({ kind: fc.constant('bool' as const) }),
  fc.record({ kind: fc.constant('int' as const), min: fc.integer({ min: -100, max: 100 }), span: fc.oneof(fc.nat(40), fc.integer({ min: 0, max: 2 ** 30 - 1 })) }),
  fc.record({ kind: fc.constant('enum' as const), n: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('array' as const), len: fc.integer({ min: 1, max: 12 }), max: fc.integer({ min: 0, max: 300 }) }),
);

const mkDomain = (d: DomSpec) =>
  d.kind === 'bool' ? bool() : d.kind === 'int' ? int(d.min, d.min + d.span) : d.kind === 'enum' ? oneOf(...Array.from({ length: d.n }, (_, i) => `e${i}`)) : array(d.len, int(0, d.max));

const valueFor = (d: DomSpec, r: number): unknown =>
  d.kind === 'bool' ? r % 2 === 1 : d.kind === 'int' ? d.min + (r % (d.span + 1)) : d.kind === 'enum' ? `e${r % d.n}` : null;

test('layout round-trip: values written through generated setters read back, and decode agrees', (t) => {
  fc.assert(
    fc.property(fc.array(domSpec, { minLength: 1, maxLength: 14 }), fc.array(fc.nat(), { minLength: 400, maxLength: 400 }), fc.integer({ min: 1, max: 5 }), (specs, rnd, reps) => {
      const shared: Record<string, any> = {};
      specs.forEach((d, i) => (shared[`x${i}`] = mkDomain(d)));
      const m = defineModel({
        name: 'rt',
        shared,
        threads: [replicate(reps, 'w', { locals: { a: int(0, 6), b: oneOf('p', 'q', 'r'), who: threadId('w', { none: true }) }, start: 'go', end: ['go'], steps: {} })],
      });
      const rt = new Runtime(buildModel(m, null));
      const buf = new Uint32Array(rt.words);
      const v = rt.views(buf, false);
      const expected: Record<string, unknown> = {};
      let k = 0;
      const next = () => rnd[k++ % rnd.length]!;
      // Write everything twice in random order so neighbouring fields must not clobber each other.
      for (let pass = 0; pass < 2; pass++) {
        specs.forEach((d, i) => {
          const name = `x${i}`;
          if (d.kind === 'array') {
            for (let j = 0; j < d.len; j++) {
              const x = next() % (d.max + 1);
              v.state[name].set(j, x);
              expected[`${name}[${j}]`] = x;
            }
          } else {
            const x = valueFor(d, next());
            v.state[name] = x;
            expected[name] = x;
          }
        });
        for (let r = 0; r < reps; r++) {
          const me = v.locals[r]!;
          me.a = next() % 7;
          me.b = ['p', 'q', 'r'][next() % 3];
          me.who = (next() % (reps + 1)) - 1;
          expected[`w[${r}].a`] = me.a;
          expected[`w[${r}].b`] = me.b;
          expected[`w[${r}].who`] = me.who;
        }
      }
      const dec = decodeState(rt, buf);
      for (const [key, x] of Object.entries(expected)) if (dec[key] !== x) return false;
      specs.forEach((d, i) => {
        if (d.kind !== 'array' && v.state[`x${i}`] !== expected[`x${i}`]) throw new Error(`getter x${i}`);
      });
      // Width is exactly what the domains need.
      const bits = specs.reduce((s, d) => s + (d.kind === 'bool' ? 1 : d.kind === 'int' ? Math.ceil(Math.log2(d.span + 1)) : d.kind === 'enum' ? Math.ceil(Math.log2(d.n)) : d.len * Math.ceil(Math.log2(d.max + 1))), 0);
      return rt.layout.bits === bits + reps * (3 + 2 + Math.ceil(Math.log2(reps + 1)));
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('domain errors carry the code MC212 and all names', async (t) => {
  const { search } = await import('../src/index.ts');
  const m = defineModel({
    name: 'overflow',
    shared: { n: int(0, 2) },
    threads: [thread('inc', { start: 'go', steps: { go: { then: (s) => { s.n = s.n + 1; }, next: 'go' } } })],
  });
  const e = t.throws(() => search(buildModel(m, null)));
  t.is((e as any).code, 'MC212');
  t.regex(e!.message, /model "overflow", thread "inc" step "go".*n := 3.*int 0\.\.2/);
  const m2 = defineModel({
    name: 'badenum',
    shared: { mode: oneOf('a', 'b'), arr: array(2, bool()) },
    threads: [thread('t', { start: 'go', steps: { go: { then: (s) => { s.arr.set(2, true); }, next: 'go' } } })],
  });
  const e2 = t.throws(() => search(buildModel(m2, null)));
  t.is((e2 as any).code, 'MC213');
  t.regex(e2!.message, /arr\[2\] is out of bounds/);
  const m3 = defineModel({
    name: 'guardwrite',
    shared: { mode: oneOf('a', 'b') },
    // @ts-expect-error guards see a read-only state; the write is refused at run time too
    threads: [thread('t', { start: 'go', steps: { go: { when: (s) => { s.mode = 'b'; return true; }, next: 'go' } } })],
  });
  const e3 = t.throws(() => search(buildModel(m3, null)));
  t.is((e3 as any).code, 'MC214');
});

test('model definition errors are coded and name what is wrong', (t) => {
  const bad = (f: () => unknown, code: string, re: RegExp) => {
    const e = t.throws(f);
    t.is((e as any).code, code, e?.message);
    t.regex(e!.message, re);
  };
  bad(() => defineModel({ name: 'bad name', threads: [] }), 'MC102', /name/);
  bad(() => buildModel(defineModel({ name: 'x', threads: [] }), null), 'MC110', /threads/);
  bad(() => buildModel(defineModel({ name: 'x', shared: { at: bool() }, threads: [thread('t', { start: 'a', steps: { a: { next: 'a' } } })] }), null), 'MC117', /"at"/);
  bad(() => buildModel(defineModel({ name: 'x', threads: [thread('t', { start: 'a', steps: { a: { next: 'a', wen: () => true } as any } })] }), null), 'MC124', /step "a".*"wen"/);
  bad(() => buildModel(defineModel({ name: 'x', shared: { o: threadId('cpu') }, threads: [thread('t', { start: 'a', steps: { a: { next: 'a' } } })] }), null), 'MC116', /"o".*"cpu"/);
  // A group whose count is a parameter that may be 0: the message says how to leave it out, and a block made for it too.
  bad(() => buildModel(defineModel({ name: 'x', threads: [replicate(0, 'e', { start: 'a', steps: { a: { next: 'a' } } })] }), null), 'MC115', /replicate\(0, "e"\).*leave it out of the list.*\[replicate\(n, "e"/);
  bad(() => buildModel(defineModel({ name: 'x', blocks: [mutex('m', ['t', 'e'])], threads: [thread('t', { start: 'a', steps: { a: { next: 'a' } } })] }), null), 'MC116', /"m_e" is threadId\("e"\).*the groups are "t"; a block made for a group the instance leaves out/);
  bad(() => int(3, 1), 'MC201', /min <= max/);
  bad(() => oneOf('a', 'a'), 'MC206', /duplicate/);
  bad(() => buildModel(defineModel({ name: 'x', variants: { v: 'd' }, threads: [thread('t', { start: 'a', steps: { a: { next: 'a' } } })] }), 'w'), 'MC303', /no variant "w".*v/);
  bad(() => buildModel(defineModel({ name: 'x', params: { n: int(1, 3) }, threads: [thread('t', { start: 'a', steps: { a: { next: 'a' } } })] }), null, { n: 9 }), 'MC302', /n=9.*1\.\.3/);
});

test('the layout diagram names every slot', (t) => {
  const m = defineModel({ name: 'd', shared: { a: bool(), b: array(3, int(0, 5)) }, threads: [replicate(2, 'w', { locals: { k: int(0, 3) }, start: 'go', end: ['stop'], steps: { go: { next: 'stop' } } })] });
  const rt = new Runtime(buildModel(m, null));
  const d = layoutDiagram(rt.layout);
  for (const name of ['a:', 'b[0]', 'b[2]', 'w[1].k', 'w[0]@']) t.true(d.includes(name), name);
});
