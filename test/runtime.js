// jest's module runtime with V8 code caching: each test file gets a fresh module registry, so
// every file that imports the AWS SDK (one 2 MB module), cdktf or our own sources compiles them
// again, and jest compiles with no code cache. Here a worker keeps the code cache of each
// module it compiled and hands it to V8 the next time the same source is compiled: modules are
// still evaluated once per test file, in that file's context, as jest does; only parsing and
// compiling are saved. A cache V8 rejects (another source) just compiles as before.
const Runtime = require("jest-runtime").default;
const { compileFunction } = require("node:vm");

/** filename -> the source compiled and its code cache, for this worker's lifetime. */
const codeCache = new Map();

class CodeCachingRuntime extends Runtime {
  constructor(...args) {
    super(...args);
    // jest-runtime 30 compiles in its module executor; any other shape compiles as jest does.
    const executor = this.executor;
    if (!executor || typeof executor.compile !== "function") return;
    const compile = executor.compile.bind(executor);
    executor.compile = (source, filename) => {
      if (executor.resolution.isCoreModule(filename)) return compile(source, filename);
      const vmContext = executor.environment.getVmContext();
      if (vmContext == null) return null;
      const cached = codeCache.get(filename);
      const hit = cached !== undefined && cached.source === source;
      let fn;
      try {
        fn = compileFunction(source, executor.injectedModuleParameters, {
          filename,
          parsingContext: vmContext,
          // As jest does: a dynamic import() in a CommonJS module goes to jest's ESM loader.
          importModuleDynamically: (specifier, _fn, attributes, ...rest) => executor.dynamicImport(specifier, filename, vmContext, attributes, rest[0]),
          ...(hit ? { cachedData: cached.data } : { produceCachedData: true }),
        });
      } catch {
        // A syntax error: jest's own compile reports it its way.
        return compile(source, filename);
      }
      if (!hit && fn.cachedData) codeCache.set(filename, { source, data: fn.cachedData });
      return fn;
    };
  }
}

/**
 * cdktf records a full stack trace (Error.stackTraceLimit lifted) for every token it creates, on
 * a plain object, for its own messages (cdktf/lib/tokens/private/stack-trace.js). Under jest every
 * such capture went through the source-map formatter jest installs in this realm, frame by
 * frame, and took a large share of each synth. Captures on objects that are not errors get V8's
 * plain format here; errors are formatted, and mapped, by jest as before.
 */
let formatter = Error.prepareStackTrace;
function formatStack(error, frames) {
  if (Object.prototype.toString.call(error) === "[object Error]") return formatter(error, frames);
  return `${Object.prototype.toString.call(error)}${frames.map((frame) => `\n    at ${frame}`).join("")}`;
}
Object.defineProperty(Error, "prepareStackTrace", {
  configurable: true,
  get: () => (typeof formatter === "function" ? formatStack : formatter),
  set: (f) => {
    formatter = f;
  },
});

module.exports = CodeCachingRuntime;
