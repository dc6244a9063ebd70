// Jest runs each test file in its own realm, while onnxruntime-node's native addon creates typed
// arrays in Node's main realm; onnxruntime-common then rejects them with `instanceof` checks. Sharing
// the main realm's typed-array and buffer constructors with the test realm removes the mismatch.
const { TestEnvironment } = require('jest-environment-node');

class OnnxRuntimeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of ['ArrayBuffer', 'SharedArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
      'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray', 'DataView']) {
      this.global[name] = globalThis[name];
    }
  }
}
module.exports = OnnxRuntimeEnvironment;
