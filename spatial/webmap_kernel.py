"""The plan map's per-vertex loops compiled ahead (WebAssembly), and the JavaScript loading them.

The map's first paint decodes, boxes and projects some ten thousand vertices
(:mod:`spatial.webmap_rings`). The browser runs that JavaScript once, before it
has compiled it: in its interpreter, where those loops took about a quarter of the
page's own main-thread time (issue 17). ``webmap_kernel.wat`` holds the same loops in
WebAssembly, which the browser compiles as it loads them; ``webmap_kernel.wasm`` is
that file assembled (``python -m spatial.webmap_kernel`` rebuilds it; a test checks
the two agree).

Every number comes out the same to the last bit as from the JavaScript, which
stays as the fallback where WebAssembly is missing or refused
(``tests/test_webmap_kernel.py`` compares the two in node over every ring of the plan).
"""

from __future__ import annotations

import base64
from pathlib import Path

__all__ = ["KERNEL_JS", "assemble", "kernel_bytes"]

_HERE = Path(__file__).resolve().parent
WAT_PATH = _HERE / "webmap_kernel.wat"
WASM_PATH = _HERE / "webmap_kernel.wasm"


def kernel_bytes() -> bytes:
    """Return the assembled kernel as shipped (``webmap_kernel.wasm``)."""
    return WASM_PATH.read_bytes()


def assemble() -> bytes:
    """Assemble ``webmap_kernel.wat`` (needs the ``wasmtime`` package of the dev tools)."""
    import wasmtime  # dev tool only: the app ships the assembled file

    return bytes(wasmtime.wat2wasm(WAT_PATH.read_text(encoding="utf-8")))


# window.hebiKernel: the kernel's two calls over typed arrays, or null (no WebAssembly, or it
# would not compile: a browser policy) so the callers use their JavaScript loops.
_KERNEL_JS = r"""
(function () {
  if (window.hebiKernel !== undefined) return;
  window.hebiKernel = null;
  var ex;
  try {
    if (typeof WebAssembly !== "object" || typeof TextEncoder !== "function") return;
    var bin = atob("__WASM__"), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    ex = new WebAssembly.Instance(new WebAssembly.Module(bytes),
                                  {m: {sin: Math.sin, log: Math.log}}).exports;
  } catch (e) {
    return;
  }
  // Bytes 0-127 hold the decoding table, 128-147 a ring's box; the work area starts at 256.
  var mem = ex.mem, enc = new TextEncoder(), BOX = 128, AT = 256;
  function room(bytes) {
    var have = mem.buffer.byteLength, want = AT + bytes;
    if (have < want) mem.grow(Math.ceil((want - have) / 65536));
    return mem.buffer;
  }
  window.hebiKernel = {
    // An encoded ring (window.hebiRing): its integers, vertex count, box and whether it is
    // shut; null when the text is not ASCII (never from the server: the JavaScript reads it).
    ring: function (s, orient) {
      var len = s.length, out = (AT + len + 15) & ~7;
      var buf = room(out - AT + 4 * len + 16);
      var put = enc.encodeInto(s, new Uint8Array(buf, AT, len));
      if (put.read !== len || put.written !== len) return null;
      var n = ex.ring(AT, len, out, orient, BOX), box = new Int32Array(buf, BOX, 5);
      return {xy: new Int32Array(buf, out, 2 * n).slice(), n: n, shut: box[4] === 1,
              x0: n ? box[0] : Infinity, y0: n ? box[1] : Infinity,
              x1: n ? box[2] : -Infinity, y1: n ? box[3] : -Infinity};
    },
    // One ring's cnt numbers (_hebiRingsIn): with merc its Mercator metres from its integers
    // g into m at k first (else they are read from m), then its layer pixels into xy at k.
    project: function (g, cnt, m, k, merc, xy, s, a, b, c, d, ox, oy, R, max, D) {
      var M = (AT + 4 * cnt + 15) & ~7, X = M + 8 * cnt, buf = room(X + 8 * cnt - AT);
      if (merc) new Int32Array(buf, AT, cnt).set(g.subarray(0, cnt));
      else new Float64Array(buf, M, cnt).set(m.subarray(k, k + cnt));
      ex.project(AT, M, X, cnt, merc ? 1 : 0, s, a, b, c, d, ox, oy, R, max, D);
      if (merc) m.set(new Float64Array(buf, M, cnt), k);
      xy.set(new Float64Array(buf, X, cnt), k);
    },
    // Leaflet's simplify (tolerance tol) of the n layer points at xy[2 * o], as point objects.
    simplify: function (xy, o, n, tol) {
      var KP = AT + 16 * n, MK = KP + 4 * n, OUT = (MK + n + 7) & ~7;
      var buf = room(OUT + 4 * n + 8 - AT);
      new Float64Array(buf, AT, 2 * n).set(xy.subarray(2 * o, 2 * o + 2 * n));
      var c = ex.simplify(AT, n, tol * tol, KP, MK, OUT), idx = new Int32Array(buf, OUT, c);
      var out = new Array(c);
      for (var i = 0, j; i < c; i++) {
        j = 2 * (o + idx[i]);
        out[i] = new L.Point(xy[j], xy[j + 1]);
      }
      return out;
    },
    // The n layer points at xy[2 * o] (an area's ring) cut to the box [x0, y0, x1, y1] as
    // Leaflet's clipPolygon cuts them, then simplified; null when nothing is left.
    cut: function (xy, o, n, b, tol) {
      var cap = 16 * n + 16, A = AT + 16 * n, B = A + 16 * cap, AC = B + 16 * cap;
      var BC = AC + cap, KP = (BC + cap + 7) & ~7, MK = KP + 4 * cap, OUT = (MK + cap + 7) & ~7;
      var buf = room(OUT + 4 * cap - AT);
      new Float64Array(buf, AT, 2 * n).set(xy.subarray(2 * o, 2 * o + 2 * n));
      var len = ex.clip(AT, n, b[0], b[1], b[2], b[3], A, AC, B, BC);
      if (!len) return null;
      var c = ex.simplify(A, len, tol * tol, KP, MK, OUT), idx = new Int32Array(buf, OUT, c);
      var pts = new Float64Array(buf, A, 2 * len), out = new Array(c);
      for (var i = 0; i < c; i++) out[i] = new L.Point(pts[2 * idx[i]], pts[2 * idx[i] + 1]);
      return out;
    }
  };
})();
"""

KERNEL_JS = _KERNEL_JS.replace("__WASM__", base64.b64encode(kernel_bytes()).decode("ascii"))


if __name__ == "__main__":  # rebuild webmap_kernel.wasm from webmap_kernel.wat
    WASM_PATH.write_bytes(assemble())
    print(f"{WASM_PATH.name}: {WASM_PATH.stat().st_size} bytes")
