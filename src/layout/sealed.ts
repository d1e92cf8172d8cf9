/**
 * Sealed views. Each generated view class (src/layout/views.ts) gets, as
 * the last link of its prototype chain, a Proxy over Object.prototype. A
 * declared name is an accessor on the class's own prototype (and the view's
 * internal fields are own properties), so property lookup finds it before
 * reaching the proxy: the traps run only for names the model does not
 * declare, and the generated accessors cost exactly what they did. Reading,
 * writing or testing (`in`) such a name throws; the runtime turns that into
 * a coded error naming the thread and step.
 *
 * What the JavaScript machinery itself looks up still works: symbols
 * (`Symbol.toPrimitive`, `Symbol.iterator`, `util.inspect.custom`, ...) and
 * Object.prototype's members (`toString`, `valueOf`, `hasOwnProperty`,
 * `__proto__`, ...) resolve as on any object, and the few string names that
 * runtimes and libraries probe on arbitrary objects (`then` by `await` and
 * promise resolution, `toJSON` by JSON.stringify, ...) read as absent.
 * The views define `util.inspect.custom` (a symbol), so printing one shows
 * its decoded values and Node's inspector does not probe it further.
 */

/** String names probed on arbitrary objects by the runtime and common libraries: they read as absent. */
const PROBED: ReadonlySet<string> = new Set(['then', 'toJSON', 'asymmetricMatch', '$$typeof', 'nodeType']);

export type Access = 'reads' | 'writes' | 'tests';

/**
 * A prototype that refuses every name not found before it. `refuse` builds
 * the error (it receives the view the access was made through, or null for
 * an `in` test, where the proxy is not told) and throws it.
 */
export function sealedPrototype(refuse: (view: object | null, name: string, access: Access) => never): object {
  // The target is an empty object over Object.prototype, so the chain still ends at Object.prototype
  // (`view instanceof Object`, its members found through the target).
  return new Proxy({}, {
    get(target, key, receiver) {
      if (typeof key === 'symbol' || key in target) return Reflect.get(target, key, receiver);
      if (PROBED.has(key)) return undefined;
      return refuse(receiver as object, key, 'reads');
    },
    set(_target, key, value, receiver) {
      // Symbol-keyed tags that tools attach to objects are harmless: the model cannot name them by mistake.
      if (typeof key === 'symbol') return Reflect.defineProperty(receiver as object, key, { value, writable: true, enumerable: false, configurable: true });
      return refuse(receiver as object, key, 'writes');
    },
    has(target, key) {
      if (typeof key === 'symbol' || key in target) return Reflect.has(target, key);
      if (PROBED.has(key)) return false;
      return refuse(null, key, 'tests');
    },
  });
}
