;; The plan map's per-vertex loops in WebAssembly (spatial.webmap_kernel builds and loads it).
;;
;; The first paint runs each loop of the map's JavaScript once, over ten thousand vertices,
;; before V8 has compiled it: in the interpreter. The same loops here run compiled from the
;; first vertex. Every number is computed with the same operations in the same order as the
;; JavaScript they stand for (window.hebiInts and window.hebiRing; _hebiRingsIn, clip and
;; simplify of spatial.webmap_rings; Leaflet's Polyline._clipPoints), so the results are the
;; same to the last bit; the JavaScript stays as the fallback where WebAssembly is missing.
(module
  (import "m" "sin" (func $sin (param f64) (result f64)))
  (import "m" "log" (func $log (param f64) (result f64)))
  (memory (export "mem") 1)
  ;; Bytes 0-127: the value of each base64url character (0 for any other), as hebiInts' table.
  (data (i32.const 45) "\3e")
  (data (i32.const 48) "\34\35\36\37\38\39\3a\3b\3c\3d")
  (data (i32.const 65) "\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19")
  (data (i32.const 95) "\3f")
  (data (i32.const 97) "\1a\1b\1c\1d\1e\1f\20\21\22\23\24\25\26\27\28\29\2a\2b\2c\2d\2e\2f\30\31\32\33")

  ;; The value of character i of the text at $in (0 past its end or outside ASCII: what
  ;; hebiInts reads there, an undefined table entry, comes to).
  (func $digit (param $in i32) (param $i i32) (param $len i32) (result i32)
    (local $c i32)
    (if (i32.ge_u (local.get $i) (local.get $len)) (then (return (i32.const 0))))
    (local.set $c (i32.load8_u (i32.add (local.get $in) (local.get $i))))
    (if (i32.ge_u (local.get $c) (i32.const 128)) (then (return (i32.const 0))))
    (i32.load8_u (local.get $c)))

  ;; One varint at $in + $i: its zigzag value in the low word, the index after it in the high.
  (func $varint (param $in i32) (param $i i32) (param $len i32) (result i64)
    (local $sh i32) (local $res i32) (local $b i32)
    (loop $more
      (local.set $b (call $digit (local.get $in) (local.get $i) (local.get $len)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $res (i32.or (local.get $res)
                              (i32.shl (i32.and (local.get $b) (i32.const 31)) (local.get $sh))))
      (local.set $sh (i32.add (local.get $sh) (i32.const 5)))
      (br_if $more (i32.ge_s (local.get $b) (i32.const 32))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $i)) (i64.const 32))
            (i64.extend_i32_u
              (select (i32.xor (i32.shr_s (local.get $res) (i32.const 1)) (i32.const -1))
                      (i32.shr_s (local.get $res) (i32.const 1))
                      (i32.and (local.get $res) (i32.const 1))))))

  ;; window.hebiRing of an encoded ring: decode the $len characters at $in into [lon, lat]
  ;; integer pairs at $out, write the box (x0, y0, x1, y1) and whether the ring is shut (its
  ;; last vertex its first) at $box, and turn the ring round when its signed area disagrees
  ;; with $orient (+1 an outer ring, -1 a hole, 0 as it comes). Returns the number of pairs.
  (func (export "ring") (param $in i32) (param $len i32) (param $out i32) (param $orient i32)
        (param $box i32) (param $R f64) (param $max f64) (param $D f64) (result i32)
    (local $i i32) (local $k i32) (local $x i32) (local $y i32) (local $v i64) (local $n i32)
    (local $x0 i32) (local $y0 i32) (local $x1 i32) (local $y1 i32) (local $p i32) (local $q i32)
    (local $j i32) (local $t i32) (local $a f64)
    (block $done
      (loop $pair
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $v (call $varint (local.get $in) (local.get $i) (local.get $len)))
        (local.set $x (i32.add (local.get $x) (i32.wrap_i64 (local.get $v))))
        (local.set $i (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 32))))
        (local.set $v (call $varint (local.get $in) (local.get $i) (local.get $len)))
        (local.set $y (i32.add (local.get $y) (i32.wrap_i64 (local.get $v))))
        (local.set $i (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 32))))
        (local.set $p (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2))))
        (i32.store (local.get $p) (local.get $x))
        (i32.store offset=4 (local.get $p) (local.get $y))
        (local.set $k (i32.add (local.get $k) (i32.const 2)))
        (br $pair)))
    (local.set $n (i32.shr_u (local.get $k) (i32.const 1)))
    ;; The box (left as it is, for the caller to read as empty, when there is no vertex).
    (local.set $x0 (i32.const 2147483647)) (local.set $y0 (i32.const 2147483647))
    (local.set $x1 (i32.const -2147483648)) (local.set $y1 (i32.const -2147483648))
    (local.set $i (i32.const 0))
    (block $end
      (loop $each
        (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $x (i32.load (local.get $p)))
        (local.set $y (i32.load offset=4 (local.get $p)))
        (if (i32.lt_s (local.get $x) (local.get $x0)) (then (local.set $x0 (local.get $x))))
        (if (i32.gt_s (local.get $x) (local.get $x1)) (then (local.set $x1 (local.get $x))))
        (if (i32.lt_s (local.get $y) (local.get $y0)) (then (local.set $y0 (local.get $y))))
        (if (i32.gt_s (local.get $y) (local.get $y1)) (then (local.set $y1 (local.get $y))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.store (local.get $box) (local.get $x0))
    (i32.store offset=4 (local.get $box) (local.get $y0))
    (i32.store offset=8 (local.get $box) (local.get $x1))
    (i32.store offset=12 (local.get $box) (local.get $y1))
    ;; The box's corners in Mercator metres (the rings module's box(): its mx and my).
    (f64.store offset=24 (local.get $box)
      (call $mx (local.get $x0) (local.get $R) (local.get $D)))
    (f64.store offset=32 (local.get $box)
      (call $my (local.get $y0) (local.get $R) (local.get $max) (local.get $D)))
    (f64.store offset=40 (local.get $box)
      (call $mx (local.get $x1) (local.get $R) (local.get $D)))
    (f64.store offset=48 (local.get $box)
      (call $my (local.get $y1) (local.get $R) (local.get $max) (local.get $D)))
    (local.set $q (i32.add (local.get $out) (i32.shl (i32.sub (local.get $n) (i32.const 1))
                                                      (i32.const 3))))
    (i32.store offset=16 (local.get $box)
      (i32.and (i32.ge_u (local.get $n) (i32.const 2))
               (i32.and (i32.eq (i32.load (local.get $out)) (i32.load (local.get $q)))
                        (i32.eq (i32.load offset=4 (local.get $out))
                                (i32.load offset=4 (local.get $q))))))
    (if (local.get $orient)
      (then
        ;; The shoelace sum in degrees, from the closing term (last to first) on, term by term
        ;; as hebiRing adds it: a += (xj/1e6 - xi/1e6) * (yj/1e6 + yi/1e6).
        (local.set $i (i32.const 0))
        (local.set $j (i32.sub (local.get $n) (i32.const 1)))
        (block $sum_end
          (loop $sum
            (br_if $sum_end (i32.ge_s (local.get $i) (local.get $n)))
            (local.set $p (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3))))
            (local.set $q (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3))))
            (local.set $a (f64.add (local.get $a)
              (f64.mul
                (f64.sub (f64.div (f64.convert_i32_s (i32.load (local.get $q))) (f64.const 1e6))
                         (f64.div (f64.convert_i32_s (i32.load (local.get $p))) (f64.const 1e6)))
                (f64.add (f64.div (f64.convert_i32_s (i32.load offset=4 (local.get $q)))
                                  (f64.const 1e6))
                         (f64.div (f64.convert_i32_s (i32.load offset=4 (local.get $p)))
                                  (f64.const 1e6))))))
            (local.set $j (local.get $i))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $sum)))
        (if (i32.ne (f64.gt (local.get $a) (f64.const 0))
                    (i32.gt_s (local.get $orient) (i32.const 0)))
          (then
            (local.set $i (i32.const 0))
            (local.set $j (i32.sub (local.get $n) (i32.const 1)))
            (block $rev_end
              (loop $rev
                (br_if $rev_end (i32.ge_s (local.get $i) (local.get $j)))
                (local.set $p (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3))))
                (local.set $q (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3))))
                (local.set $t (i32.load (local.get $p)))
                (i32.store (local.get $p) (i32.load (local.get $q)))
                (i32.store (local.get $q) (local.get $t))
                (local.set $t (i32.load offset=4 (local.get $p)))
                (i32.store offset=4 (local.get $p) (i32.load offset=4 (local.get $q)))
                (i32.store offset=4 (local.get $q) (local.get $t))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                (br $rev)))))))
    (local.get $n))

  ;; Spherical Mercator metres of a longitude or latitude in 1e-6 degree, as Leaflet computes
  ;; them: R * (lng / 1e6) * D; R * log((1 + sin) / (1 - sin)) / 2 of the latitude clamped to
  ;; +-max.
  (func $mx (param $v i32) (param $R f64) (param $D f64) (result f64)
    (f64.mul (f64.mul (local.get $R) (f64.div (f64.convert_i32_s (local.get $v)) (f64.const 1e6)))
             (local.get $D)))
  (func $my (param $v i32) (param $R f64) (param $max f64) (param $D f64) (result f64)
    (local $lat f64) (local $sn f64)
    (local.set $lat (f64.div (f64.convert_i32_s (local.get $v)) (f64.const 1e6)))
    (local.set $lat
      (select (local.get $max)
              (select (f64.neg (local.get $max)) (local.get $lat)
                      (f64.lt (local.get $lat) (f64.neg (local.get $max))))
              (f64.gt (local.get $lat) (local.get $max))))
    (local.set $sn (call $sin (f64.mul (local.get $lat) (local.get $D))))
    (f64.div (f64.mul (local.get $R)
                      (call $log (f64.div (f64.add (f64.const 1) (local.get $sn))
                                          (f64.sub (f64.const 1) (local.get $sn)))))
             (f64.const 2)))

  ;; Math.round as V8 computes it: the ceiling, less one when that is more than half above.
  (func $round (param $x f64) (result f64)
    (local $c f64)
    (local.set $c (f64.ceil (local.get $x)))
    (select (local.get $c) (f64.sub (local.get $c) (f64.const 1))
            (f64.le (f64.sub (local.get $c) (f64.const 0.5)) (local.get $x))))

  ;; _hebiRingsIn for one ring of $cnt numbers: with $merc, the Spherical Mercator metres at
  ;; $m of the integer pairs at $ints first; then the layer pixels at $xy,
  ;; round(s * (a * mx + b)) - ox and round(s * (c * my + d)) - oy.
  (func $project (param $ints i32) (param $m i32) (param $xy i32) (param $cnt i32)
        (param $merc i32) (param $s f64) (param $a f64) (param $b f64) (param $c f64)
        (param $d f64) (param $ox f64) (param $oy f64) (param $R f64) (param $max f64)
        (param $D f64)
    (local $i i32) (local $p i32) (local $q i32)
    (if (local.get $merc)
      (then
        (block $end
          (loop $each
            (br_if $end (i32.ge_u (local.get $i) (local.get $cnt)))
            (local.set $p (i32.add (local.get $ints) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $q (i32.add (local.get $m) (i32.shl (local.get $i) (i32.const 3))))
            (f64.store (local.get $q)
              (call $mx (i32.load (local.get $p)) (local.get $R) (local.get $D)))
            (f64.store offset=8 (local.get $q)
              (call $my (i32.load offset=4 (local.get $p)) (local.get $R) (local.get $max)
                        (local.get $D)))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $each)))))
    (local.set $i (i32.const 0))
    (block $end
      (loop $each
        (br_if $end (i32.ge_u (local.get $i) (local.get $cnt)))
        (local.set $p (i32.add (local.get $m) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $q (i32.add (local.get $xy) (i32.shl (local.get $i) (i32.const 3))))
        (f64.store (local.get $q)
          (f64.sub (call $round (f64.mul (local.get $s)
                                         (f64.add (f64.mul (local.get $a) (f64.load (local.get $p)))
                                                  (local.get $b))))
                   (local.get $ox)))
        (f64.store offset=8 (local.get $q)
          (f64.sub (call $round (f64.mul (local.get $s)
                                         (f64.add (f64.mul (local.get $c)
                                                           (f64.load offset=8 (local.get $p)))
                                                  (local.get $d))))
                   (local.get $oy)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $each))))

  ;; $project for $count rings of one path, listed at $table as four i32 each: where the
  ;; ring's integers are, how many numbers it has, where its numbers start in the path's
  ;; metres ($m) and pixels ($xy), and whether its metres are still to be computed.
  (func (export "projectMany") (param $table i32) (param $count i32) (param $m i32)
        (param $xy i32) (param $s f64) (param $a f64) (param $b f64) (param $c f64)
        (param $d f64) (param $ox f64) (param $oy f64) (param $R f64) (param $max f64)
        (param $D f64)
    (local $e i32) (local $t i32) (local $k i32)
    (block $end
      (loop $each
        (br_if $end (i32.ge_u (local.get $e) (local.get $count)))
        (local.set $t (i32.add (local.get $table) (i32.shl (local.get $e) (i32.const 4))))
        (local.set $k (i32.shl (i32.load offset=8 (local.get $t)) (i32.const 3)))
        (call $project (i32.load (local.get $t)) (i32.add (local.get $m) (local.get $k))
                       (i32.add (local.get $xy) (local.get $k)) (i32.load offset=4 (local.get $t))
                       (i32.load offset=12 (local.get $t)) (local.get $s) (local.get $a)
                       (local.get $b) (local.get $c) (local.get $d) (local.get $ox)
                       (local.get $oy) (local.get $R) (local.get $max) (local.get $D))
        (local.set $e (i32.add (local.get $e) (i32.const 1)))
        (br $each))))

  ;; The outcode of a point against the box [b0, b1, b2, b3] (left 1, right 2, top 4, bottom 8).
  (func $code (param $x f64) (param $y f64) (param $b0 f64) (param $b1 f64) (param $b2 f64)
        (param $b3 f64) (result i32)
    (i32.or
      (select (i32.const 1) (select (i32.const 2) (i32.const 0) (f64.gt (local.get $x) (local.get $b2)))
              (f64.lt (local.get $x) (local.get $b0)))
      (select (i32.const 4) (select (i32.const 8) (i32.const 0) (f64.gt (local.get $y) (local.get $b3)))
              (f64.lt (local.get $y) (local.get $b1)))))

  ;; Leaflet's L.PolyUtil.clipPolygon(points, bounds, true), as spatial.webmap_rings' clip:
  ;; the $n points (x, y pairs of f64) at $in cut to the box edge by edge (Sutherland-Hodgman,
  ;; each crossing rounded as Math.round). Points and outcodes go back and forth between
  ;; $a/$ac and $b/$bc (room for 16 * $n + 16 points each); the cut ring ends at $a. Returns
  ;; its number of points.
  (func (export "clip") (param $in i32) (param $n i32) (param $b0 f64) (param $b1 f64)
        (param $b2 f64) (param $b3 f64) (param $a i32) (param $ac i32) (param $b i32)
        (param $bc i32) (result i32)
    (local $i i32) (local $j i32) (local $k i32) (local $m i32) (local $len i32)
    (local $edge i32) (local $p i32) (local $pc i32) (local $q i32) (local $qc i32)
    (local $x f64) (local $y f64) (local $t i32)
    (block $end
      (loop $each
        (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f64.load (i32.add (local.get $in) (i32.shl (local.get $i) (i32.const 4)))))
        (local.set $y (f64.load offset=8 (i32.add (local.get $in) (i32.shl (local.get $i) (i32.const 4)))))
        (f64.store (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 4))) (local.get $x))
        (f64.store offset=8 (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 4))) (local.get $y))
        (i32.store8 (i32.add (local.get $ac) (local.get $i))
          (call $code (local.get $x) (local.get $y) (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.set $len (local.get $n))
    (local.set $p (local.get $a)) (local.set $pc (local.get $ac))
    (local.set $q (local.get $b)) (local.set $qc (local.get $bc))
    (local.set $k (i32.const 0))
    (block $passes_end
      (loop $passes
        (br_if $passes_end (i32.ge_u (local.get $k) (i32.const 4)))
        ;; EDGES = [1, 4, 2, 8]
        (local.set $edge (select (i32.const 1)
                                 (select (i32.const 4)
                                         (select (i32.const 2) (i32.const 8) (i32.eq (local.get $k) (i32.const 2)))
                                         (i32.eq (local.get $k) (i32.const 1)))
                                 (i32.eqz (local.get $k))))
        (local.set $m (i32.const 0))
        (local.set $i (i32.const 0))
        (local.set $j (i32.sub (local.get $len) (i32.const 1)))
        (block $pe
          (loop $pl
            (br_if $pe (i32.ge_s (local.get $i) (local.get $len)))
            (if (i32.eqz (i32.and (i32.load8_u (i32.add (local.get $pc) (local.get $i))) (local.get $edge)))
              (then
                (if (i32.and (i32.load8_u (i32.add (local.get $pc) (local.get $j))) (local.get $edge))
                  (then (local.set $m (call $cross (local.get $p) (local.get $j) (local.get $i) (local.get $edge)
                                            (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3)
                                            (local.get $q) (local.get $qc) (local.get $m)))))
                (f64.store (i32.add (local.get $q) (i32.shl (local.get $m) (i32.const 4)))
                           (f64.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 4)))))
                (f64.store offset=8 (i32.add (local.get $q) (i32.shl (local.get $m) (i32.const 4)))
                           (f64.load offset=8 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 4)))))
                (i32.store8 (i32.add (local.get $qc) (local.get $m))
                            (i32.load8_u (i32.add (local.get $pc) (local.get $i))))
                (local.set $m (i32.add (local.get $m) (i32.const 1))))
              (else
                (if (i32.eqz (i32.and (i32.load8_u (i32.add (local.get $pc) (local.get $j))) (local.get $edge)))
                  (then (local.set $m (call $cross (local.get $p) (local.get $j) (local.get $i) (local.get $edge)
                                            (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3)
                                            (local.get $q) (local.get $qc) (local.get $m)))))))
            (local.set $j (local.get $i))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $pl)))
        ;; The pass's points are the next pass's input.
        (local.set $t (local.get $p)) (local.set $p (local.get $q)) (local.set $q (local.get $t))
        (local.set $t (local.get $pc)) (local.set $pc (local.get $qc)) (local.set $qc (local.get $t))
        (local.set $len (local.get $m))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $passes)))
    (local.get $len))

  ;; L.LineUtil._getEdgeIntersection(point j, point i, edge, bounds, true), written at $m.
  (func $cross (param $p i32) (param $j i32) (param $i i32) (param $edge i32) (param $b0 f64)
        (param $b1 f64) (param $b2 f64) (param $b3 f64) (param $q i32) (param $qc i32)
        (param $m i32) (result i32)
    (local $x f64) (local $y f64)
    (call $edge (f64.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 4))))
                (f64.load offset=8 (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 4))))
                (f64.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 4))))
                (f64.load offset=8 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 4))))
                (local.get $edge) (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3))
    (local.set $y)
    (local.set $x)
    (f64.store (i32.add (local.get $q) (i32.shl (local.get $m) (i32.const 4))) (local.get $x))
    (f64.store offset=8 (i32.add (local.get $q) (i32.shl (local.get $m) (i32.const 4))) (local.get $y))
    (i32.store8 (i32.add (local.get $qc) (local.get $m))
      (call $code (local.get $x) (local.get $y) (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3)))
    (i32.add (local.get $m) (i32.const 1)))

  ;; Leaflet's L.LineUtil.simplify with tolerance sqrt($sq), as spatial.webmap_rings'
  ;; simplify: radial distance, then Douglas-Peucker, over the $n points at $xy; the indices
  ;; of the points kept are written at $out (i32), their count returned. $keep (i32) and
  ;; $marks (u8) are work space for $n entries.
  (func $simplify (export "simplify") (param $xy i32) (param $n i32) (param $sq f64)
        (param $keep i32) (param $marks i32) (param $out i32) (result i32)
    (local $i i32) (local $prev i32) (local $end i32) (local $len i32) (local $dx f64)
    (local $dy f64) (local $c i32)
    (i32.store (local.get $keep) (i32.const 0))
    (local.set $len (i32.const 1))
    (local.set $end (i32.sub (local.get $n) (i32.const 1)))
    (local.set $i (i32.const 1))
    (block $end_r
      (loop $radial
        (br_if $end_r (i32.gt_s (local.get $i) (local.get $end)))
        (local.set $dx (f64.sub (f64.load (i32.add (local.get $xy) (i32.shl (local.get $prev) (i32.const 4))))
                                (f64.load (i32.add (local.get $xy) (i32.shl (local.get $i) (i32.const 4))))))
        (local.set $dy (f64.sub (f64.load offset=8 (i32.add (local.get $xy) (i32.shl (local.get $prev) (i32.const 4))))
                                (f64.load offset=8 (i32.add (local.get $xy) (i32.shl (local.get $i) (i32.const 4))))))
        (if (f64.gt (f64.add (f64.mul (local.get $dx) (local.get $dx)) (f64.mul (local.get $dy) (local.get $dy)))
                    (local.get $sq))
          (then
            (i32.store (i32.add (local.get $keep) (i32.shl (local.get $len) (i32.const 2))) (local.get $i))
            (local.set $len (i32.add (local.get $len) (i32.const 1)))
            (local.set $prev (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $radial)))
    (if (i32.lt_s (local.get $prev) (local.get $end))
      (then
        (i32.store (i32.add (local.get $keep) (i32.shl (local.get $len) (i32.const 2))) (local.get $end))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))))
    (memory.fill (local.get $marks) (i32.const 0) (local.get $len))
    (i32.store8 (local.get $marks) (i32.const 1))
    (i32.store8 (i32.add (local.get $marks) (i32.sub (local.get $len) (i32.const 1))) (i32.const 1))
    (call $step (local.get $xy) (local.get $keep) (local.get $marks) (local.get $sq) (i32.const 0)
                (i32.sub (local.get $len) (i32.const 1)))
    (local.set $i (i32.const 0))
    (block $end_o
      (loop $outl
        (br_if $end_o (i32.ge_s (local.get $i) (local.get $len)))
        (if (i32.load8_u (i32.add (local.get $marks) (local.get $i)))
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
                       (i32.load (i32.add (local.get $keep) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outl)))
    (local.get $c))

  ;; One Douglas-Peucker step between kept points $first and $last (the JavaScript's step).
  (func $step (param $xy i32) (param $keep i32) (param $marks i32) (param $sq f64)
        (param $first i32) (param $last i32)
    (local $max f64) (local $index i32) (local $f i32) (local $l i32) (local $x1 f64) (local $y1 f64)
    (local $ddx f64) (local $ddy f64) (local $dot f64) (local $i i32) (local $k i32) (local $px f64)
    (local $py f64) (local $x f64) (local $y f64) (local $t f64) (local $dx f64) (local $dy f64)
    (local $d f64)
    (local.set $f (i32.add (local.get $xy) (i32.shl (i32.load (i32.add (local.get $keep) (i32.shl (local.get $first) (i32.const 2)))) (i32.const 4))))
    (local.set $l (i32.add (local.get $xy) (i32.shl (i32.load (i32.add (local.get $keep) (i32.shl (local.get $last) (i32.const 2)))) (i32.const 4))))
    (local.set $x1 (f64.load (local.get $f)))
    (local.set $y1 (f64.load offset=8 (local.get $f)))
    (local.set $ddx (f64.sub (f64.load (local.get $l)) (local.get $x1)))
    (local.set $ddy (f64.sub (f64.load offset=8 (local.get $l)) (local.get $y1)))
    (local.set $dot (f64.add (f64.mul (local.get $ddx) (local.get $ddx)) (f64.mul (local.get $ddy) (local.get $ddy))))
    (local.set $i (i32.add (local.get $first) (i32.const 1)))
    (block $end
      (loop $each
        (br_if $end (i32.gt_s (local.get $i) (i32.sub (local.get $last) (i32.const 1))))
        (local.set $k (i32.add (local.get $xy) (i32.shl (i32.load (i32.add (local.get $keep) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 4))))
        (local.set $px (f64.load (local.get $k)))
        (local.set $py (f64.load offset=8 (local.get $k)))
        (local.set $x (local.get $x1))
        (local.set $y (local.get $y1))
        (if (f64.gt (local.get $dot) (f64.const 0))
          (then
            (local.set $t (f64.div (f64.add (f64.mul (f64.sub (local.get $px) (local.get $x)) (local.get $ddx))
                                            (f64.mul (f64.sub (local.get $py) (local.get $y)) (local.get $ddy)))
                                   (local.get $dot)))
            (if (f64.gt (local.get $t) (f64.const 1))
              (then (local.set $x (f64.load (local.get $l))) (local.set $y (f64.load offset=8 (local.get $l))))
              (else (if (f64.gt (local.get $t) (f64.const 0))
                (then (local.set $x (f64.add (local.get $x) (f64.mul (local.get $ddx) (local.get $t))))
                      (local.set $y (f64.add (local.get $y) (f64.mul (local.get $ddy) (local.get $t))))))))))
        (local.set $dx (f64.sub (local.get $px) (local.get $x)))
        (local.set $dy (f64.sub (local.get $py) (local.get $y)))
        (local.set $d (f64.add (f64.mul (local.get $dx) (local.get $dx)) (f64.mul (local.get $dy) (local.get $dy))))
        (if (f64.gt (local.get $d) (local.get $max))
          (then (local.set $index (local.get $i)) (local.set $max (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (if (f64.gt (local.get $max) (local.get $sq))
      (then
        (i32.store8 (i32.add (local.get $marks) (local.get $index)) (i32.const 1))
        (call $step (local.get $xy) (local.get $keep) (local.get $marks) (local.get $sq) (local.get $first) (local.get $index))
        (call $step (local.get $xy) (local.get $keep) (local.get $marks) (local.get $sq) (local.get $index) (local.get $last)))))

  ;; L.LineUtil._getEdgeIntersection(a, b, code, bounds, true): the crossing, rounded.
  (func $edge (param $ax f64) (param $ay f64) (param $bx f64) (param $by f64) (param $code i32)
        (param $b0 f64) (param $b1 f64) (param $b2 f64) (param $b3 f64) (result f64 f64)
    (local $dx f64) (local $dy f64) (local $x f64) (local $y f64)
    (local.set $dx (f64.sub (local.get $bx) (local.get $ax)))
    (local.set $dy (f64.sub (local.get $by) (local.get $ay)))
    (if (i32.and (local.get $code) (i32.const 8))
      (then
        (local.set $x (f64.add (local.get $ax) (f64.div (f64.mul (local.get $dx) (f64.sub (local.get $b3) (local.get $ay)))
                                                        (local.get $dy))))
        (local.set $y (local.get $b3)))
      (else (if (i32.and (local.get $code) (i32.const 4))
        (then
          (local.set $x (f64.add (local.get $ax) (f64.div (f64.mul (local.get $dx) (f64.sub (local.get $b1) (local.get $ay)))
                                                          (local.get $dy))))
          (local.set $y (local.get $b1)))
        (else (if (i32.and (local.get $code) (i32.const 2))
          (then
            (local.set $x (local.get $b2))
            (local.set $y (f64.add (local.get $ay) (f64.div (f64.mul (local.get $dy) (f64.sub (local.get $b2) (local.get $ax)))
                                                            (local.get $dx)))))
          (else (if (i32.and (local.get $code) (i32.const 1))
            (then
              (local.set $x (local.get $b0))
              (local.set $y (f64.add (local.get $ay) (f64.div (f64.mul (local.get $dy) (f64.sub (local.get $b0) (local.get $ax)))
                                                              (local.get $dx))))))))))))
    (call $round (local.get $x))
    (call $round (local.get $y)))

  ;; Leaflet's Polyline._clipPoints: every segment of the $count lines listed at $table (two
  ;; i32 each: where the line's numbers start in the path's pixels $xy, and its number of
  ;; points) cut to the box by L.LineUtil.clipSegment (round: true), the pieces joined into
  ;; parts as Leaflet joins them. The parts' points go one after another to $out (x, y f64),
  ;; their counts to $parts; returns the number of parts.
  (func (export "clipLines") (param $xy i32) (param $table i32) (param $count i32)
        (param $b0 f64) (param $b1 f64) (param $b2 f64) (param $b3 f64) (param $out i32)
        (param $parts i32) (result i32)
    (local $e i32) (local $base i32) (local $n i32) (local $j i32) (local $k i32) (local $cur i32)
    (local $np i32) (local $ax f64) (local $ay f64) (local $bx f64) (local $by f64) (local $ca i32)
    (local $cb i32) (local $co i32) (local $px f64) (local $py f64) (local $bclip i32)
    (local $o i32)
    (block $rings_end
      (loop $rings
        (br_if $rings_end (i32.ge_u (local.get $e) (local.get $count)))
        (local.set $base (i32.add (local.get $xy)
          (i32.shl (i32.load (i32.add (local.get $table) (i32.shl (local.get $e) (i32.const 3))))
                   (i32.const 3))))
        (local.set $n (i32.load offset=4 (i32.add (local.get $table) (i32.shl (local.get $e) (i32.const 3)))))
        (local.set $j (i32.const 0))
        (block $segs_end
          (loop $segs
            (br_if $segs_end (i32.ge_s (local.get $j) (i32.sub (local.get $n) (i32.const 1))))
            (local.set $ax (f64.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 4)))))
            (local.set $ay (f64.load offset=8 (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 4)))))
            (local.set $bx (f64.load offset=16 (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 4)))))
            (local.set $by (f64.load offset=24 (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 4)))))
            (local.set $ca (call $code (local.get $ax) (local.get $ay) (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3)))
            (local.set $cb (call $code (local.get $bx) (local.get $by) (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3)))
            (local.set $bclip (i32.const 0))
            (block $next
              (block $accept
                (loop $cut
                  (br_if $accept (i32.eqz (i32.or (local.get $ca) (local.get $cb))))
                  (br_if $next (i32.and (local.get $ca) (local.get $cb)))
                  (local.set $co (select (local.get $ca) (local.get $cb) (local.get $ca)))
                  (call $edge (local.get $ax) (local.get $ay) (local.get $bx) (local.get $by) (local.get $co)
                              (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3))
                  (local.set $py)
                  (local.set $px)
                  (if (i32.eq (local.get $co) (local.get $ca))
                    (then
                      (local.set $ax (local.get $px)) (local.set $ay (local.get $py))
                      (local.set $ca (call $code (local.get $ax) (local.get $ay) (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3))))
                    (else
                      (local.set $bx (local.get $px)) (local.set $by (local.get $py))
                      (local.set $cb (call $code (local.get $bx) (local.get $by) (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3)))
                      (local.set $bclip (i32.const 1))))
                  (br $cut)))
              ;; Accepted: its start joins the current part; the part ends where the segment
              ;; leaves the box, or with the line's last segment.
              (local.set $o (i32.add (local.get $out) (i32.shl (local.get $np) (i32.const 4))))
              (f64.store (local.get $o) (local.get $ax))
              (f64.store offset=8 (local.get $o) (local.get $ay))
              (local.set $np (i32.add (local.get $np) (i32.const 1)))
              (local.set $cur (i32.add (local.get $cur) (i32.const 1)))
              (if (i32.or (local.get $bclip) (i32.eq (local.get $j) (i32.sub (local.get $n) (i32.const 2))))
                (then
                  (f64.store offset=16 (local.get $o) (local.get $bx))
                  (f64.store offset=24 (local.get $o) (local.get $by))
                  (local.set $np (i32.add (local.get $np) (i32.const 1)))
                  (i32.store (i32.add (local.get $parts) (i32.shl (local.get $k) (i32.const 2)))
                             (i32.add (local.get $cur) (i32.const 1)))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (local.set $cur (i32.const 0)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $segs)))
        (local.set $e (i32.add (local.get $e) (i32.const 1)))
        (br $rings)))
    (if (local.get $cur)
      (then
        (i32.store (i32.add (local.get $parts) (i32.shl (local.get $k) (i32.const 2))) (local.get $cur))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))))
    (local.get $k))

  ;; $simplify for $count rings of one path drawn whole, listed at $table as two i32 each
  ;; (where the ring's numbers start in the path's pixels $xy, its number of points): the
  ;; indices each keeps (from its first point) one ring after another at $out, how many at
  ;; $counts. $keep and $marks are work space for the longest ring. Returns the indices' count.
  (func (export "simplifyMany") (param $xy i32) (param $table i32) (param $count i32)
        (param $sq f64) (param $keep i32) (param $marks i32) (param $out i32) (param $counts i32)
        (result i32)
    (local $e i32) (local $t i32) (local $c i32) (local $total i32)
    (block $end
      (loop $each
        (br_if $end (i32.ge_u (local.get $e) (local.get $count)))
        (local.set $t (i32.add (local.get $table) (i32.shl (local.get $e) (i32.const 3))))
        (local.set $c (call $simplify
          (i32.add (local.get $xy) (i32.shl (i32.load (local.get $t)) (i32.const 3)))
          (i32.load offset=4 (local.get $t)) (local.get $sq) (local.get $keep) (local.get $marks)
          (i32.add (local.get $out) (i32.shl (local.get $total) (i32.const 2)))))
        (i32.store (i32.add (local.get $counts) (i32.shl (local.get $e) (i32.const 2))) (local.get $c))
        (local.set $total (i32.add (local.get $total) (local.get $c)))
        (local.set $e (i32.add (local.get $e) (i32.const 1)))
        (br $each)))
    (local.get $total))
)
