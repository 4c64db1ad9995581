"""The plan map's per-vertex loops compiled ahead (WebAssembly), and the JavaScript loading them.

The map's first paint decodes, boxes, projects, cuts and simplifies some ten
thousand vertices (:mod:`spatial.webmap_rings`). The browser runs that JavaScript
once, before it has compiled it: in its interpreter, where those loops took about
a quarter of the page's own main-thread time (issue 17). ``webmap_kernel.wat``
holds the same loops in WebAssembly, which the browser compiles as it loads them;
``webmap_kernel.wasm`` is that file assembled (``python -m spatial.webmap_kernel``
rebuilds it; a test checks the two agree).

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


# window.hebiKernel: the kernel's calls over the rings module's typed arrays, or null (no
# WebAssembly, or it would not compile: a browser policy) so the callers use their JavaScript.
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
  // Bytes 0-127 hold the decoding table, 128-183 a ring's box (integers, then Mercator
  // metres); the work area starts at 256. The views are made again only when memory grows.
  var mem = ex.mem, enc = new TextEncoder(), BOX = 128, AT = 256, U8, I32, F64;
  function room(bytes) {
    var have = mem.buffer.byteLength, want = AT + bytes;
    if (have < want) mem.grow(Math.ceil((want - have) / 65536));
    if (!U8 || U8.buffer !== mem.buffer) {
      U8 = new Uint8Array(mem.buffer);
      I32 = new Int32Array(mem.buffer);
      F64 = new Float64Array(mem.buffer);
    }
  }
  // The c points a simplify kept, as point objects: indices I32[q...] into the points (x, y
  // pairs) of src from its number base.
  function pick(src, base, q, c) {
    var out = new Array(c);
    for (var i = 0, j; i < c; i++) {
      j = base + 2 * I32[q + i];
      out[i] = new L.Point(src[j], src[j + 1]);
    }
    return out;
  }
  var SM = L.Projection.SphericalMercator, D = Math.PI / 180;
  window.hebiKernel = {
    // window.hebiRing of an encoded ring, the same object (with its Mercator box); null when
    // the text is not ASCII (never from the server: the JavaScript reads it then).
    ring: function (s, closed, orient) {
      var len = s.length, out = (AT + len + 15) & ~7;
      room(out - AT + 4 * len + 16);
      var put = enc.encodeInto(s, U8.subarray(AT, AT + len));
      if (put.read !== len || put.written !== len) return null;
      var n = ex.ring(AT, len, out, orient, BOX, SM.R, SM.MAX_LATITUDE, D), b = BOX >> 2;
      var f = (BOX + 24) >> 3, xy = I32.slice(out >> 2, (out >> 2) + 2 * n);
      return {xy: xy, n: closed && I32[b + 4] === 1 ? n - 1 : n,
              x0: n ? I32[b] : Infinity, y0: n ? I32[b + 1] : Infinity,
              x1: n ? I32[b + 2] : -Infinity, y1: n ? I32[b + 3] : -Infinity,
              mb: n ? [F64[f], F64[f + 1], F64[f + 2], F64[f + 3]] : null};
    },
    // _hebiRingsIn of a path: the rings listed in todo get their layer pixels in xy (and,
    // the first time, their Mercator metres in m), at their offsets 2 * off[r].
    project: function (todo, rings, off, m, mOn, xy, s, a, b, c, d, ox, oy) {
      var T = xy.length, M = AT, X = M + 8 * T, TB = X + 8 * T, IN = TB + 16 * todo.length;
      var ints = 0, r, k;
      for (k = 0; k < todo.length; k++) if (!mOn[todo[k]]) ints += rings[todo[k]].xy.length;
      room(IN + 4 * ints - AT);
      F64.set(m, M >> 3);
      F64.set(xy, X >> 3);
      var t = TB >> 2, p = IN >> 2;
      for (k = 0; k < todo.length; k++, t += 4) {
        r = todo[k];
        I32[t] = p << 2; I32[t + 1] = 2 * rings[r].n; I32[t + 2] = 2 * off[r];
        I32[t + 3] = mOn[r] ? 0 : 1;
        if (!mOn[r]) { I32.set(rings[r].xy, p); p += rings[r].xy.length; }
      }
      ex.projectMany(TB, todo.length, M, X, s, a, b, c, d, ox, oy, SM.R, SM.MAX_LATITUDE, D);
      m.set(F64.subarray(M >> 3, (M >> 3) + T));
      xy.set(F64.subarray(X >> 3, (X >> 3) + T));
    },
    // Leaflet's simplify (tolerance tol) of the n layer points at xy[2 * o], as point objects.
    simplify: function (xy, o, n, tol) {
      var KP = AT + 16 * n, MK = KP + 4 * n + 4, OUT = (MK + n + 8) & ~7;  // room for 1 too
      room(OUT + 4 * n + 8 - AT);
      F64.set(xy.subarray(2 * o, 2 * o + 2 * n), AT >> 3);
      return pick(xy, 2 * o, OUT >> 2, ex.simplify(AT, n, tol * tol, KP, MK, OUT));
    },
    // simplify of the rings listed (drawn whole at tolerance tol), each as point objects in
    // cache[r] (marked with tol and hebiDone, as _hebiWhole keeps them).
    wholeMany: function (list, rings, off, xy, tol, cache) {
      var T = xy.length, X = AT, TB = X + 8 * T, most = 0, sum = 0, i, k, r;
      for (k = 0; k < list.length; k++) {
        most = Math.max(most, rings[list[k]].n);
        sum += rings[list[k]].n;
      }
      var KP = TB + 8 * list.length, MK = KP + 4 * most + 4, OUT = (MK + most + 8) & ~7;
      var CN = OUT + 4 * (sum + list.length);  // an empty ring keeps one index too
      room(CN + 4 * list.length - AT);
      F64.set(xy, X >> 3);
      for (k = 0, i = TB >> 2; k < list.length; k++) {
        I32[i++] = 2 * off[list[k]];
        I32[i++] = rings[list[k]].n;
      }
      ex.simplifyMany(X, TB, list.length, tol * tol, KP, MK, OUT, CN);
      for (k = 0, i = OUT >> 2; k < list.length; k++) {
        r = list[k];
        var c = I32[(CN >> 2) + k], got = pick(xy, 2 * off[r], i, c);
        i += c;
        got.tol = tol;
        got.hebiDone = true;
        cache[r] = got;
      }
    },
    // Leaflet's Polyline._clipPoints and _simplifyPoints of a path's lines (those projected:
    // on[r]; the others are empty) cut to the box [x0, y0, x1, y1]: its parts, simplified.
    lines: function (rings, off, on, xy, b, tol) {
      var T = xy.length, X = AT, TB = X + 8 * T, cnt = 0, nv = 0, r, i;
      for (r = 0; r < rings.length; r++) if (on[r]) { cnt++; nv += rings[r].n; }
      var cap = 2 * nv + 2, OUT = TB + 8 * cnt, PT = OUT + 16 * cap, KP = PT + 4 * cap;
      var MK = KP + 4 * cap, IDX = (MK + cap + 7) & ~7;
      room(IDX + 4 * cap - AT);
      F64.set(xy, X >> 3);
      for (r = 0, i = TB >> 2; r < rings.length; r++) {
        if (!on[r]) continue;
        I32[i++] = 2 * off[r];
        I32[i++] = rings[r].n;
      }
      var np = ex.clipLines(X, TB, cnt, b[0], b[1], b[2], b[3], OUT, PT), parts = new Array(np);
      for (var k = 0, at = OUT; k < np; k++) {
        var len = I32[(PT >> 2) + k];
        var part = parts[k] = pick(F64, at >> 3, IDX >> 2,
                                   ex.simplify(at, len, tol * tol, KP, MK, IDX));
        part.hebiDone = true;
        at += 16 * len;
      }
      return parts;
    },
    // The n layer points at xy[2 * o] (an area's ring) cut to the box [x0, y0, x1, y1] as
    // Leaflet's clipPolygon cuts them, then simplified; null when nothing is left.
    cut: function (xy, o, n, b, tol) {
      var cap = 16 * n + 16, A = AT + 16 * n, B = A + 16 * cap, AC = B + 16 * cap;
      var BC = AC + cap, KP = (BC + cap + 7) & ~7, MK = KP + 4 * cap, OUT = (MK + cap + 7) & ~7;
      room(OUT + 4 * cap - AT);
      F64.set(xy.subarray(2 * o, 2 * o + 2 * n), AT >> 3);
      var len = ex.clip(AT, n, b[0], b[1], b[2], b[3], A, AC, B, BC);
      if (!len) return null;
      return pick(F64, A >> 3, OUT >> 2, ex.simplify(A, len, tol * tol, KP, MK, OUT));
    }
  };
})();
"""

KERNEL_JS = _KERNEL_JS.replace("__WASM__", base64.b64encode(kernel_bytes()).decode("ascii"))


if __name__ == "__main__":  # rebuild webmap_kernel.wasm from webmap_kernel.wat
    WASM_PATH.write_bytes(assemble())
    print(f"{WASM_PATH.name}: {WASM_PATH.stat().st_size} bytes")
