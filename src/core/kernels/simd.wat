;; SIMD kernels for one-sentence inference (src/core/kernels/simd.ts loads
;; them; src/core/decoding/inference.ts uses them). Compiled to
;; src/core/kernels/simdBinary.ts by `npm run build:wasm`
;; (scripts/build-wasm.mjs, with the `wabt` assembler).
;;
;; All pointers are byte offsets into the exported memory; every float is
;; float32. Vectors are processed four lanes at a time (f32x4); a tail that is
;; not a multiple of four is handled lane by lane.

(module
  (memory (export "memory") 1)

  ;; Sum of the four lanes of $a.
  (func $hsum (param $a v128) (result f32)
    (local $t v128)
    ;; t = a + [a2, a3, a0, a1]
    (local.set $t (f32x4.add (local.get $a)
      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a))))
    ;; lane 0 of t + lane 1 of t
    (f32.add (f32x4.extract_lane 0 (local.get $t)) (f32x4.extract_lane 1 (local.get $t))))

  ;; Affine map of M vectors: for m < M, n < N,
  ;;   y[m, n] = (add ? y[m, n] : 0) + (b ? b[n] : 0) + Σ_k w[n, k]·x[m, k]
  ;; with the weight stored one output per row, w: [N, K] row-major, and
  ;; x: [M, K], y: [M, N] row-major. K must be a multiple of 4 (callers pad
  ;; rows and x with zeros). Four weight rows are reduced together, sharing
  ;; each load of x; the M vectors run inside the loop over row blocks, so a
  ;; block (4·K floats) is read from memory once and from cache M − 1 times.
  (func (export "matmul")
    (param $w i32) (param $x i32) (param $y i32) (param $b i32)
    (param $K i32) (param $N i32) (param $M i32) (param $add i32)
    (local $rowBytes i32) (local $n i32) (local $kb i32) (local $m i32)
    (local $xr i32) (local $yo i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $xv v128) (local $u v128) (local $v v128) (local $res v128) (local $s f32)
    (local.set $rowBytes (i32.shl (local.get $K) (i32.const 2)))
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.gt_s (i32.add (local.get $n) (i32.const 4)) (local.get $N)))
        (local.set $r0 (i32.add (local.get $w) (i32.mul (local.get $n) (local.get $rowBytes))))
        (local.set $r1 (i32.add (local.get $r0) (local.get $rowBytes)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $rowBytes)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $rowBytes)))
        (local.set $m (i32.const 0))
        (block $mdone
          (loop $vecs
            (br_if $mdone (i32.ge_s (local.get $m) (local.get $M)))
            (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $m) (local.get $rowBytes))))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $kb (i32.const 0))
            (block $kdone
              (loop $k
                (br_if $kdone (i32.ge_s (local.get $kb) (local.get $rowBytes)))
                (local.set $xv (v128.load (i32.add (local.get $xr) (local.get $kb))))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (i32.add (local.get $r0) (local.get $kb))) (local.get $xv))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load (i32.add (local.get $r1) (local.get $kb))) (local.get $xv))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load (i32.add (local.get $r2) (local.get $kb))) (local.get $xv))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load (i32.add (local.get $r3) (local.get $kb))) (local.get $xv))))
                (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
                (br $k)))
            ;; Transpose-and-add: res = [Σa0, Σa1, Σa2, Σa3].
            ;; u = [a0_0, a1_0, a0_1, a1_1] + [a0_2, a1_2, a0_3, a1_3]
            (local.set $u (f32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
            ;; v = the same for a2, a3
            (local.set $v (f32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
            ;; res = [u0, u1, v0, v1] + [u2, u3, v2, v3]
            (local.set $res (f32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u) (local.get $v))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u) (local.get $v))))
            (if (local.get $b)
              (then (local.set $res (f32x4.add (local.get $res)
                (v128.load (i32.add (local.get $b) (i32.shl (local.get $n) (i32.const 2))))))))
            ;; yo = &y[m, n]
            (local.set $yo (i32.add (local.get $y)
              (i32.shl (i32.add (i32.mul (local.get $m) (local.get $N)) (local.get $n)) (i32.const 2))))
            (if (local.get $add)
              (then (local.set $res (f32x4.add (local.get $res) (v128.load (local.get $yo))))))
            (v128.store (local.get $yo) (local.get $res))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))
            (br $vecs)))
        (local.set $n (i32.add (local.get $n) (i32.const 4)))
        (br $rows4)))
    ;; The last N mod 4 rows, one at a time.
    (block $done
      (loop $rows
        (br_if $done (i32.ge_s (local.get $n) (local.get $N)))
        (local.set $r0 (i32.add (local.get $w) (i32.mul (local.get $n) (local.get $rowBytes))))
        (local.set $m (i32.const 0))
        (block $mdone1
          (loop $vecs1
            (br_if $mdone1 (i32.ge_s (local.get $m) (local.get $M)))
            (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $m) (local.get $rowBytes))))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $kb (i32.const 0))
            (block $kdone1
              (loop $k1
                (br_if $kdone1 (i32.ge_s (local.get $kb) (local.get $rowBytes)))
                (local.set $a0 (f32x4.add (local.get $a0)
                  (f32x4.mul (v128.load (i32.add (local.get $r0) (local.get $kb)))
                             (v128.load (i32.add (local.get $xr) (local.get $kb))))))
                (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
                (br $k1)))
            (local.set $s (call $hsum (local.get $a0)))
            (if (local.get $b)
              (then (local.set $s (f32.add (local.get $s)
                (f32.load (i32.add (local.get $b) (i32.shl (local.get $n) (i32.const 2))))))))
            (local.set $yo (i32.add (local.get $y)
              (i32.shl (i32.add (i32.mul (local.get $m) (local.get $N)) (local.get $n)) (i32.const 2))))
            (if (local.get $add)
              (then (local.set $s (f32.add (local.get $s) (f32.load (local.get $yo))))))
            (f32.store (local.get $yo) (local.get $s))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))
            (br $vecs1)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $rows))))

  ;; exp of four lanes, each ≤ 0 after clamping to [-87, 0] (larger inputs are
  ;; not expected here: callers subtract the maximum first).
  ;; Cephes expf: n = round(x·log2 e), r = x − n·ln 2 (in two parts),
  ;; exp(r) by a degree-6 polynomial, times 2ⁿ built in the exponent bits.
  ;; Relative error below 1e-7 (about one float32 ulp) on [-87, 0]; test/simd.test.ts checks 1.5e-7.
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.max (local.get $x) (v128.const f32x4 -87 -87 -87 -87)))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x)
      (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n)
      (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n)
      (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; p = p·r² + r + 1
    (local.set $p (f32x4.add
      (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
      (v128.const f32x4 1 1 1 1)))
    ;; × 2ⁿ: (n + 127) << 23 reinterpreted as float32
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; max_v z[v] for v < V.
  (func (export "max") (param $z i32) (param $V i32) (result f32)
    (local $end4 i32) (local $p i32) (local $end i32)
    (local $m v128) (local $mx f32)
    (local.set $end (i32.add (local.get $z) (i32.shl (local.get $V) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $z) (i32.shl (i32.and (local.get $V) (i32.const -4)) (i32.const 2))))
    (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $p (local.get $z))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $m (f32x4.max (local.get $m) (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l)))
    (local.set $mx (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
      (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $mx (f32.max (local.get $mx) (f32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $l1)))
    (local.get $mx))

  ;; Σ_v exp(z[v] − max) for v < V, accumulated in float64.
  (func (export "sumExp") (param $z i32) (param $V i32) (param $max f32) (result f64)
    (local $end4 i32) (local $p i32) (local $end i32)
    (local $mv v128) (local $e v128) (local $acc0 v128) (local $acc1 v128) (local $s f64)
    (local.set $end (i32.add (local.get $z) (i32.shl (local.get $V) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $z) (i32.shl (i32.and (local.get $V) (i32.const -4)) (i32.const 2))))
    (local.set $mv (f32x4.splat (local.get $max)))
    (local.set $p (local.get $z))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $e (call $exp4 (f32x4.sub (v128.load (local.get $p)) (local.get $mv))))
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.promote_low_f32x4 (local.get $e))))
        (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l)))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32x4.extract_lane 0
          (call $exp4 (f32x4.splat (f32.sub (f32.load (local.get $p)) (local.get $max))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $l1)))
    (local.get $s))

  ;; Adam update of n elements in place (Kingma & Ba 2015, algorithm 1, with
  ;; the bias corrections folded into step and eps; see src/core/training/optimizer.ts):
  ;; with g' = scale·g,
  ;;   m = b1·m + (1 − b1)·g';  v = b2·v + ((1 − b2)·g')·g';  p −= (step·m) / (√v + eps)
  ;; computed in float64 (two lanes at a time) from the float32 arrays and
  ;; rounded once when stored: the same arithmetic, in the same order, as the
  ;; JavaScript loop of src/core/training/optimizer.ts.
  (func $adam2 (param $g v128) (param $m v128) (param $v v128) (param $p v128)
    (param $scale f64) (param $b1 f64) (param $b2 f64) (param $step f64) (param $eps f64)
    (result v128 v128 v128)
    (local $gs v128) (local $mn v128) (local $vn v128)
    (local.set $gs (f64x2.mul (local.get $g) (f64x2.splat (local.get $scale))))
    (local.set $mn (f64x2.add
      (f64x2.mul (f64x2.splat (local.get $b1)) (local.get $m))
      (f64x2.mul (f64x2.splat (f64.sub (f64.const 1) (local.get $b1))) (local.get $gs))))
    (local.set $vn (f64x2.add
      (f64x2.mul (f64x2.splat (local.get $b2)) (local.get $v))
      (f64x2.mul (f64x2.mul (f64x2.splat (f64.sub (f64.const 1) (local.get $b2))) (local.get $gs)) (local.get $gs))))
    (local.get $mn)
    (local.get $vn)
    (f64x2.sub (local.get $p)
      (f64x2.div (f64x2.mul (f64x2.splat (local.get $step)) (local.get $mn))
        (f64x2.add (f64x2.sqrt (local.get $vn)) (f64x2.splat (local.get $eps))))))

  ;; [a0, a1] and [b0, b1] (float64) → [a0, a1, b0, b1] (float32)
  (func $demote4 (param $lo v128) (param $hi v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))

  ;; Upper two float32 lanes of $x as float64.
  (func $promoteHigh (param $x v128) (result v128)
    (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))

  (func (export "adam")
    (param $p i32) (param $m i32) (param $v i32) (param $g i32) (param $n i32)
    (param $scale f64) (param $b1 f64) (param $b2 f64) (param $step f64) (param $eps f64)
    (local $off i32) (local $end4 i32) (local $end i32)
    (local $g4 v128) (local $m4 v128) (local $v4 v128) (local $p4 v128)
    (local $mlo v128) (local $vlo v128) (local $plo v128)
    (local $mhi v128) (local $vhi v128) (local $phi v128)
    (local $mn f64) (local $vn f64) (local $gs f64)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $off) (local.get $end4)))
        (local.set $g4 (v128.load (i32.add (local.get $g) (local.get $off))))
        (local.set $m4 (v128.load (i32.add (local.get $m) (local.get $off))))
        (local.set $v4 (v128.load (i32.add (local.get $v) (local.get $off))))
        (local.set $p4 (v128.load (i32.add (local.get $p) (local.get $off))))
        (call $adam2
          (f64x2.promote_low_f32x4 (local.get $g4)) (f64x2.promote_low_f32x4 (local.get $m4))
          (f64x2.promote_low_f32x4 (local.get $v4)) (f64x2.promote_low_f32x4 (local.get $p4))
          (local.get $scale) (local.get $b1) (local.get $b2) (local.get $step) (local.get $eps))
        (local.set $plo)
        (local.set $vlo)
        (local.set $mlo)
        (call $adam2
          (call $promoteHigh (local.get $g4)) (call $promoteHigh (local.get $m4))
          (call $promoteHigh (local.get $v4)) (call $promoteHigh (local.get $p4))
          (local.get $scale) (local.get $b1) (local.get $b2) (local.get $step) (local.get $eps))
        (local.set $phi)
        (local.set $vhi)
        (local.set $mhi)
        (v128.store (i32.add (local.get $m) (local.get $off)) (call $demote4 (local.get $mlo) (local.get $mhi)))
        (v128.store (i32.add (local.get $v) (local.get $off)) (call $demote4 (local.get $vlo) (local.get $vhi)))
        (v128.store (i32.add (local.get $p) (local.get $off)) (call $demote4 (local.get $plo) (local.get $phi)))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $l)))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $gs (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $g) (local.get $off)))) (local.get $scale)))
        (local.set $mn (f64.add
          (f64.mul (local.get $b1) (f64.promote_f32 (f32.load (i32.add (local.get $m) (local.get $off)))))
          (f64.mul (f64.sub (f64.const 1) (local.get $b1)) (local.get $gs))))
        (local.set $vn (f64.add
          (f64.mul (local.get $b2) (f64.promote_f32 (f32.load (i32.add (local.get $v) (local.get $off)))))
          (f64.mul (f64.mul (f64.sub (f64.const 1) (local.get $b2)) (local.get $gs)) (local.get $gs))))
        (f32.store (i32.add (local.get $m) (local.get $off)) (f32.demote_f64 (local.get $mn)))
        (f32.store (i32.add (local.get $v) (local.get $off)) (f32.demote_f64 (local.get $vn)))
        (f32.store (i32.add (local.get $p) (local.get $off))
          (f32.demote_f64 (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $off))))
            (f64.div (f64.mul (local.get $step) (local.get $mn))
              (f64.add (f64.sqrt (local.get $vn)) (local.get $eps))))))
        (local.set $off (i32.add (local.get $off) (i32.const 4)))
        (br $l1))))

  ;; Σ x[i]² for i < n, accumulated in float64 (the global gradient norm²).
  (func (export "sumSquares") (param $x i32) (param $n i32) (result f64)
    (local $off i32) (local $end4 i32) (local $end i32)
    (local $xv v128) (local $acc0 v128) (local $acc1 v128) (local $s f64) (local $xs f64)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $off) (local.get $end4)))
        (local.set $xv (v128.load (i32.add (local.get $x) (local.get $off))))
        (local.set $acc0 (f64x2.add (local.get $acc0)
          (f64x2.mul (f64x2.promote_low_f32x4 (local.get $xv)) (f64x2.promote_low_f32x4 (local.get $xv)))))
        (local.set $xv (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xv) (local.get $xv)))
        (local.set $acc1 (f64x2.add (local.get $acc1)
          (f64x2.mul (f64x2.promote_low_f32x4 (local.get $xv)) (f64x2.promote_low_f32x4 (local.get $xv)))))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $l)))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $xs (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $off)))))
        (local.set $s (f64.add (local.get $s) (f64.mul (local.get $xs) (local.get $xs))))
        (local.set $off (i32.add (local.get $off) (i32.const 4)))
        (br $l1)))
    (local.get $s))
)
