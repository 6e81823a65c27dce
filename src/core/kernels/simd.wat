;; SIMD kernels (src/core/kernels/simd.ts loads them): the products and
;; log-sum-exp of one-sentence inference (src/core/decoding/inference.ts),
;; the Adam update (src/core/training/optimizer.ts), and the training step's
;; kernels on the TensorFlow.js wasm heap (src/core/kernels/fused.ts): a
;; packed GEMM, the GRU and LSTM cells' element-wise work and its gradient,
;; and attention's score–softmax–context and its gradient. Compiled to
;; src/core/kernels/simdBinary.ts by `npm run build:wasm`
;; (scripts/build-wasm.mjs, with the `wabt` assembler), in two forms: as
;; written, with `f32x4.relaxed_madd` (relaxed SIMD: one fused multiply–add
;; where the CPU has one), and with every `(f32x4.relaxed_madd a b c)`
;; rewritten to `(f32x4.add (f32x4.mul a b) c)` for runtimes without relaxed
;; SIMD. The loader picks the first that `WebAssembly.validate` accepts.
;;
;; The memory is imported: an arena of its own (inference, Adam) or the
;; TensorFlow.js wasm backend's heap (training kernels work on tensors in
;; place). All pointers are byte offsets into it; every float is float32.
;; Vectors are processed four lanes at a time (f32x4); a tail that is not a
;; multiple of four is handled lane by lane.

(module
  (import "env" "memory" (memory 1))

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
                (local.set $a0 (f32x4.relaxed_madd (v128.load (i32.add (local.get $r0) (local.get $kb))) (local.get $xv) (local.get $a0)))
                (local.set $a1 (f32x4.relaxed_madd (v128.load (i32.add (local.get $r1) (local.get $kb))) (local.get $xv) (local.get $a1)))
                (local.set $a2 (f32x4.relaxed_madd (v128.load (i32.add (local.get $r2) (local.get $kb))) (local.get $xv) (local.get $a2)))
                (local.set $a3 (f32x4.relaxed_madd (v128.load (i32.add (local.get $r3) (local.get $kb))) (local.get $xv) (local.get $a3)))
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
                (local.set $a0 (f32x4.relaxed_madd (v128.load (i32.add (local.get $r0) (local.get $kb)))
                  (v128.load (i32.add (local.get $xr) (local.get $kb))) (local.get $a0)))
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
    (local $mlo v128) (local $vlo v128) (local $plo v128) (local $glo v128)
    (local $mhi v128) (local $vhi v128) (local $phi v128) (local $ghi v128)
    (local $ks v128) (local $kb1 v128) (local $kc1 v128) (local $kb2 v128) (local $kc2 v128) (local $kst v128) (local $keps v128)
    (local $mn f64) (local $vn f64) (local $gs f64)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    ;; The constants of $adam2, splat once (the same values, so the same results).
    (local.set $ks (f64x2.splat (local.get $scale)))
    (local.set $kb1 (f64x2.splat (local.get $b1)))
    (local.set $kc1 (f64x2.splat (f64.sub (f64.const 1) (local.get $b1))))
    (local.set $kb2 (f64x2.splat (local.get $b2)))
    (local.set $kc2 (f64x2.splat (f64.sub (f64.const 1) (local.get $b2))))
    (local.set $kst (f64x2.splat (local.get $step)))
    (local.set $keps (f64x2.splat (local.get $eps)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $off) (local.get $end4)))
        (local.set $g4 (v128.load (i32.add (local.get $g) (local.get $off))))
        (local.set $m4 (v128.load (i32.add (local.get $m) (local.get $off))))
        (local.set $v4 (v128.load (i32.add (local.get $v) (local.get $off))))
        (local.set $p4 (v128.load (i32.add (local.get $p) (local.get $off))))
        ;; $adam2 written out for the low and the high two lanes (no calls in the loop).
        (local.set $glo (f64x2.mul (f64x2.promote_low_f32x4 (local.get $g4)) (local.get $ks)))
        (local.set $ghi (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $g4) (local.get $g4))) (local.get $ks)))
        (local.set $mlo (f64x2.add (f64x2.mul (local.get $kb1) (f64x2.promote_low_f32x4 (local.get $m4))) (f64x2.mul (local.get $kc1) (local.get $glo))))
        (local.set $mhi (f64x2.add
          (f64x2.mul (local.get $kb1) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m4) (local.get $m4))))
          (f64x2.mul (local.get $kc1) (local.get $ghi))))
        (local.set $vlo (f64x2.add (f64x2.mul (local.get $kb2) (f64x2.promote_low_f32x4 (local.get $v4)))
          (f64x2.mul (f64x2.mul (local.get $kc2) (local.get $glo)) (local.get $glo))))
        (local.set $vhi (f64x2.add
          (f64x2.mul (local.get $kb2) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v4) (local.get $v4))))
          (f64x2.mul (f64x2.mul (local.get $kc2) (local.get $ghi)) (local.get $ghi))))
        (local.set $plo (f64x2.sub (f64x2.promote_low_f32x4 (local.get $p4))
          (f64x2.div (f64x2.mul (local.get $kst) (local.get $mlo)) (f64x2.add (f64x2.sqrt (local.get $vlo)) (local.get $keps)))))
        (local.set $phi (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p4) (local.get $p4)))
          (f64x2.div (f64x2.mul (local.get $kst) (local.get $mhi)) (f64x2.add (f64x2.sqrt (local.get $vhi)) (local.get $keps)))))
        (v128.store (i32.add (local.get $m) (local.get $off))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero (local.get $mlo)) (f32x4.demote_f64x2_zero (local.get $mhi))))
        (v128.store (i32.add (local.get $v) (local.get $off))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero (local.get $vlo)) (f32x4.demote_f64x2_zero (local.get $vhi))))
        (v128.store (i32.add (local.get $p) (local.get $off))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero (local.get $plo)) (f32x4.demote_f64x2_zero (local.get $phi))))
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

  ;; ---------------------------------------------------------------------
  ;; Packed GEMM for training products on the TensorFlow.js heap:
  ;;   C[m, n] (+)= Σ_k A[m, k]·B[k, n]
  ;; with any strides (a transposed operand is only another stride), in two
  ;; steps: pack A into panels of 4 rows and B into panels of 8 columns
  ;; (k-major, zero-padded to whole panels), then multiply 4×8 tiles with
  ;; eight accumulators held in registers: per k, two loads of B, four
  ;; broadcast loads of A and eight multiply–adds.
  ;; ---------------------------------------------------------------------

  ;; 4×4 transpose: rows a, b, c, d (4 floats each) → the 4 columns.
  (func $transpose4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128 v128 v128 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d)))
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))
    (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2))
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))
    (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))

  ;; A (M × K), element (m, k) at a + 4·(m·sm + k·sk) → ⌈M/4⌉ panels, each
  ;; [K][4] (rows m0..m0+3 of column k side by side), rows past M zero.
  (func (export "packA")
    (param $a i32) (param $M i32) (param $K i32) (param $sm i32) (param $sk i32) (param $dst i32)
    (local $m0 i32) (local $k i32) (local $i i32) (local $o i32) (local $smB i32) (local $skB i32)
    (local $src i32) (local $rows i32) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local.set $smB (i32.shl (local.get $sm) (i32.const 2)))
    (local.set $skB (i32.shl (local.get $sk) (i32.const 2)))
    (local.set $o (local.get $dst))
    (block $done (loop $panels
      (br_if $done (i32.ge_s (local.get $m0) (local.get $M)))
      (local.set $rows (i32.sub (local.get $M) (local.get $m0)))
      (local.set $src (i32.add (local.get $a) (i32.mul (local.get $m0) (local.get $smB))))
      (local.set $k (i32.const 0))
      (if (i32.and (i32.eq (local.get $sm) (i32.const 1)) (i32.ge_s (local.get $rows) (i32.const 4)))
        (then
          ;; transposed A: the four rows of column k are adjacent
          (block $kd (loop $kl
            (br_if $kd (i32.ge_s (local.get $k) (local.get $K)))
            (v128.store (local.get $o) (v128.load (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $skB)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kl))))
        (else
          ;; A row-major (sk = 1) with four rows: four k at a time, a 4×4 transpose each.
          (if (i32.and (i32.eq (local.get $sk) (i32.const 1)) (i32.ge_s (local.get $rows) (i32.const 4)))
            (then
              (block $kd3 (loop $kl3
                (br_if $kd3 (i32.gt_s (i32.add (local.get $k) (i32.const 4)) (local.get $K)))
                (call $transpose4
                  (v128.load (local.get $src))
                  (v128.load (i32.add (local.get $src) (local.get $smB)))
                  (v128.load (i32.add (local.get $src) (i32.shl (local.get $smB) (i32.const 1))))
                  (v128.load (i32.add (local.get $src) (i32.mul (local.get $smB) (i32.const 3)))))
                (local.set $c3)
                (local.set $c2)
                (local.set $c1)
                (local.set $c0)
                (v128.store (local.get $o) (local.get $c0))
                (v128.store offset=16 (local.get $o) (local.get $c1))
                (v128.store offset=32 (local.get $o) (local.get $c2))
                (v128.store offset=48 (local.get $o) (local.get $c3))
                (local.set $src (i32.add (local.get $src) (i32.const 16)))
                (local.set $o (i32.add (local.get $o) (i32.const 64)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $kl3)))))
          (block $kd2 (loop $kl2
            (br_if $kd2 (i32.ge_s (local.get $k) (local.get $K)))
            (local.set $i (i32.const 0))
            (block $id (loop $il
              (br_if $id (i32.ge_s (local.get $i) (i32.const 4)))
              (f32.store (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 2)))
                (if (result f32) (i32.lt_s (local.get $i) (local.get $rows))
                  (then (f32.load (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $smB)))))
                  (else (f32.const 0))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $il)))
            (local.set $src (i32.add (local.get $src) (local.get $skB)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kl2)))))
      (local.set $m0 (i32.add (local.get $m0) (i32.const 4)))
      (br $panels))))

  ;; B (K × N), element (k, n) at b + 4·(k·sk + n·sn) → ⌈N/8⌉ panels, each
  ;; [K][8] (columns n0..n0+7 of row k side by side), columns past N zero.
  (func (export "packB")
    (param $b i32) (param $K i32) (param $N i32) (param $sk i32) (param $sn i32) (param $dst i32)
    (local $n0 i32) (local $k i32) (local $j i32) (local $o i32) (local $skB i32) (local $snB i32)
    (local $src i32) (local $cols i32) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local.set $skB (i32.shl (local.get $sk) (i32.const 2)))
    (local.set $snB (i32.shl (local.get $sn) (i32.const 2)))
    (local.set $o (local.get $dst))
    (block $done (loop $panels
      (br_if $done (i32.ge_s (local.get $n0) (local.get $N)))
      (local.set $cols (i32.sub (local.get $N) (local.get $n0)))
      (local.set $src (i32.add (local.get $b) (i32.mul (local.get $n0) (local.get $snB))))
      (local.set $k (i32.const 0))
      (if (i32.and (i32.eq (local.get $sn) (i32.const 1)) (i32.ge_s (local.get $cols) (i32.const 8)))
        (then
          (block $kd (loop $kl
            (br_if $kd (i32.ge_s (local.get $k) (local.get $K)))
            (v128.store (local.get $o) (v128.load (local.get $src)))
            (v128.store offset=16 (local.get $o) (v128.load offset=16 (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $skB)))
            (local.set $o (i32.add (local.get $o) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kl))))
        (else
          ;; B stored transposed (sk = 1) with eight columns: four k at a time, two 4×4 transposes each.
          (if (i32.and (i32.eq (local.get $sk) (i32.const 1)) (i32.ge_s (local.get $cols) (i32.const 8)))
            (then
              (block $kd3 (loop $kl3
                (br_if $kd3 (i32.gt_s (i32.add (local.get $k) (i32.const 4)) (local.get $K)))
                (call $transpose4
                  (v128.load (local.get $src))
                  (v128.load (i32.add (local.get $src) (local.get $snB)))
                  (v128.load (i32.add (local.get $src) (i32.shl (local.get $snB) (i32.const 1))))
                  (v128.load (i32.add (local.get $src) (i32.mul (local.get $snB) (i32.const 3)))))
                (local.set $c3)
                (local.set $c2)
                (local.set $c1)
                (local.set $c0)
                (v128.store (local.get $o) (local.get $c0))
                (v128.store offset=32 (local.get $o) (local.get $c1))
                (v128.store offset=64 (local.get $o) (local.get $c2))
                (v128.store offset=96 (local.get $o) (local.get $c3))
                (call $transpose4
                  (v128.load (i32.add (local.get $src) (i32.shl (local.get $snB) (i32.const 2))))
                  (v128.load (i32.add (local.get $src) (i32.mul (local.get $snB) (i32.const 5))))
                  (v128.load (i32.add (local.get $src) (i32.mul (local.get $snB) (i32.const 6))))
                  (v128.load (i32.add (local.get $src) (i32.mul (local.get $snB) (i32.const 7)))))
                (local.set $c3)
                (local.set $c2)
                (local.set $c1)
                (local.set $c0)
                (v128.store offset=16 (local.get $o) (local.get $c0))
                (v128.store offset=48 (local.get $o) (local.get $c1))
                (v128.store offset=80 (local.get $o) (local.get $c2))
                (v128.store offset=112 (local.get $o) (local.get $c3))
                (local.set $src (i32.add (local.get $src) (i32.const 16)))
                (local.set $o (i32.add (local.get $o) (i32.const 128)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $kl3)))))
          (block $kd2 (loop $kl2
            (br_if $kd2 (i32.ge_s (local.get $k) (local.get $K)))
            (local.set $j (i32.const 0))
            (block $jd (loop $jl
              (br_if $jd (i32.ge_s (local.get $j) (i32.const 8)))
              (f32.store (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 2)))
                (if (result f32) (i32.lt_s (local.get $j) (local.get $cols))
                  (then (f32.load (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $snB)))))
                  (else (f32.const 0))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $jl)))
            (local.set $src (i32.add (local.get $src) (local.get $skB)))
            (local.set $o (i32.add (local.get $o) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kl2)))))
      (local.set $n0 (i32.add (local.get $n0) (i32.const 8)))
      (br $panels))))

  ;; C[m, n] = (acc ? C[m, n] : 0) + Σ_k A[m, k]·B[k, n] for m < M, n < N,
  ;; from panels made by packA (ap) and packB (bp); C row-major with row
  ;; stride ldc floats. Partial tiles (M mod 4, N mod 8) go through the
  ;; 32-float scratch tmp.
  (func (export "gemm")
    (param $ap i32) (param $bp i32) (param $c i32) (param $M i32) (param $K i32) (param $N i32)
    (param $ldc i32) (param $acc i32) (param $tmp i32)
    (local $n0 i32) (local $m0 i32) (local $pa i32) (local $pb i32) (local $end i32) (local $panel i32)
    (local $ldcB i32) (local $co i32) (local $i i32) (local $j i32) (local $rows i32) (local $cols i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128) (local $x f32)
    (local.set $ldcB (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $panel (local.get $bp))
    (block $nd (loop $nl
      (br_if $nd (i32.ge_s (local.get $n0) (local.get $N)))
      (local.set $m0 (i32.const 0))
      (local.set $pa (local.get $ap))
      (block $md (loop $ml
        (br_if $md (i32.ge_s (local.get $m0) (local.get $M)))
        (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
        (local.set $pb (local.get $panel))
        (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $K) (i32.const 4))))
        (block $kd (loop $kl
          (br_if $kd (i32.ge_u (local.get $pa) (local.get $end)))
          (local.set $b0 (v128.load (local.get $pb)))
          (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $av (v128.load32_splat (local.get $pa)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c01)))
          (local.set $av (v128.load32_splat offset=4 (local.get $pa)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c11)))
          (local.set $av (v128.load32_splat offset=8 (local.get $pa)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21)))
          (local.set $av (v128.load32_splat offset=12 (local.get $pa)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c31)))
          (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
          (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
          (br $kl)))
        (local.set $rows (i32.sub (local.get $M) (local.get $m0)))
        (local.set $cols (i32.sub (local.get $N) (local.get $n0)))
        (local.set $co (i32.add (local.get $c) (i32.add (i32.mul (local.get $m0) (local.get $ldcB)) (i32.shl (local.get $n0) (i32.const 2)))))
        (if (i32.and (i32.ge_s (local.get $rows) (i32.const 4)) (i32.ge_s (local.get $cols) (i32.const 8)))
          (then
            (if (local.get $acc)
              (then
                (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $co))))
                (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $co))))
                (local.set $c10 (f32x4.add (local.get $c10) (v128.load (i32.add (local.get $co) (local.get $ldcB)))))
                (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (i32.add (local.get $co) (local.get $ldcB)))))
                (local.set $c20 (f32x4.add (local.get $c20) (v128.load (i32.add (local.get $co) (i32.shl (local.get $ldcB) (i32.const 1))))))
                (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (i32.add (local.get $co) (i32.shl (local.get $ldcB) (i32.const 1))))))
                (local.set $c30 (f32x4.add (local.get $c30) (v128.load (i32.add (local.get $co) (i32.mul (local.get $ldcB) (i32.const 3))))))
                (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (i32.add (local.get $co) (i32.mul (local.get $ldcB) (i32.const 3))))))))
            (v128.store (local.get $co) (local.get $c00))
            (v128.store offset=16 (local.get $co) (local.get $c01))
            (local.set $co (i32.add (local.get $co) (local.get $ldcB)))
            (v128.store (local.get $co) (local.get $c10))
            (v128.store offset=16 (local.get $co) (local.get $c11))
            (local.set $co (i32.add (local.get $co) (local.get $ldcB)))
            (v128.store (local.get $co) (local.get $c20))
            (v128.store offset=16 (local.get $co) (local.get $c21))
            (local.set $co (i32.add (local.get $co) (local.get $ldcB)))
            (v128.store (local.get $co) (local.get $c30))
            (v128.store offset=16 (local.get $co) (local.get $c31)))
          (else
            ;; partial tile: through tmp [4][8], then only the rows and columns inside C
            (v128.store (local.get $tmp) (local.get $c00))
            (v128.store offset=16 (local.get $tmp) (local.get $c01))
            (v128.store offset=32 (local.get $tmp) (local.get $c10))
            (v128.store offset=48 (local.get $tmp) (local.get $c11))
            (v128.store offset=64 (local.get $tmp) (local.get $c20))
            (v128.store offset=80 (local.get $tmp) (local.get $c21))
            (v128.store offset=96 (local.get $tmp) (local.get $c30))
            (v128.store offset=112 (local.get $tmp) (local.get $c31))
            (if (i32.gt_s (local.get $rows) (i32.const 4)) (then (local.set $rows (i32.const 4))))
            (if (i32.gt_s (local.get $cols) (i32.const 8)) (then (local.set $cols (i32.const 8))))
            (local.set $i (i32.const 0))
            (block $id (loop $il
              (br_if $id (i32.ge_s (local.get $i) (local.get $rows)))
              (local.set $j (i32.const 0))
              (block $jd (loop $jl
                (br_if $jd (i32.ge_s (local.get $j) (local.get $cols)))
                (local.set $x (f32.load (i32.add (local.get $tmp) (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 3)) (local.get $j)) (i32.const 2)))))
                (if (local.get $acc)
                  (then (local.set $x (f32.add (local.get $x)
                    (f32.load (i32.add (i32.add (local.get $co) (i32.mul (local.get $i) (local.get $ldcB))) (i32.shl (local.get $j) (i32.const 2))))))))
                (f32.store (i32.add (i32.add (local.get $co) (i32.mul (local.get $i) (local.get $ldcB))) (i32.shl (local.get $j) (i32.const 2))) (local.get $x))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jl)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $il)))))
        (local.set $m0 (i32.add (local.get $m0) (i32.const 4)))
        (br $ml)))
      (local.set $panel (i32.add (local.get $panel) (i32.shl (local.get $K) (i32.const 5))))
      (local.set $n0 (i32.add (local.get $n0) (i32.const 8)))
      (br $nl))))

  ;; ---------------------------------------------------------------------
  ;; Element-wise work of the recurrent cells and of attention, with their
  ;; gradients, each one call per time step over the whole batch (the
  ;; TensorFlow.js kernels of src/core/kernels/fused.ts). Feature sizes
  ;; (H, A, D) are multiples of 4; rows are contiguous.
  ;; ---------------------------------------------------------------------

  ;; σ(x) = 1 / (1 + e^−x), from e = exp(−|x|) ∈ (0, 1]: 1/(1 + e) for x ≥ 0,
  ;; e/(1 + e) below; NaN stays NaN.
  (func $sigmoid4 (param $x v128) (result v128)
    (local $e v128) (local $s v128)
    (local.set $e (call $exp4 (f32x4.neg (f32x4.abs (local.get $x)))))
    (local.set $s (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e))))
    (v128.bitselect (local.get $s) (f32x4.mul (local.get $e) (local.get $s))
      (f32x4.ge (local.get $x) (v128.const f32x4 0 0 0 0))))

  ;; tanh(x) = sign(x)·(1 − t)/(1 + t) with t = exp(−2|x|) (absolute error about 1e-7).
  (func $tanh4 (param $x v128) (result v128)
    (local $t v128)
    (local.set $t (call $exp4 (f32x4.mul (f32x4.abs (local.get $x)) (v128.const f32x4 -2 -2 -2 -2))))
    (v128.or
      (f32x4.div (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $t)) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $t)))
      (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))

  ;; The row's mask value m as four lanes (1 when there is no mask).
  (func $maskOf (param $mask i32) (param $b i32) (result v128)
    (if (result v128) (local.get $mask)
      (then (v128.load32_splat (i32.add (local.get $mask) (i32.shl (local.get $b) (i32.const 2)))))
      (else (v128.const f32x4 1 1 1 1))))

  ;; GRU cell (the variant of src/core/model/rnn.ts), B rows of H units:
  ;;   r = σ(x_r + h_r + b_r), z = σ(x_z + h_z + b_z), ĥ = h_n + b_n,
  ;;   n = tanh(x_n + r·ĥ), h' = n + z·(h − n), and with a padding mask m:
  ;;   h'' = h + m·(h' − h).
  ;; x: input projection [B, 3H]; hp: h·W_h [B, 3H]; bh: [3H] (0 = none);
  ;; h: [B, H]; mask: [B] (0 = none); out: h'' [B, H];
  ;; g: saved for the gradient [B, 4H] = r, z, n, ĥ.
  (func (export "gruForward")
    (param $x i32) (param $hp i32) (param $bh i32) (param $h i32) (param $mask i32)
    (param $out i32) (param $g i32) (param $B i32) (param $H i32)
    (local $b i32) (local $jb i32) (local $HB i32) (local $xr i32) (local $hr i32) (local $hrow i32) (local $orow i32) (local $grow i32)
    (local $m v128) (local $r v128) (local $z v128) (local $n v128) (local $hn v128) (local $hv v128) (local $hnew v128)
    (local $br v128) (local $bz v128) (local $bn v128)
    (local.set $HB (i32.shl (local.get $H) (i32.const 2)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $b) (local.get $B)))
      (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $b) (i32.mul (local.get $HB) (i32.const 3)))))
      (local.set $hr (i32.add (local.get $hp) (i32.mul (local.get $b) (i32.mul (local.get $HB) (i32.const 3)))))
      (local.set $hrow (i32.add (local.get $h) (i32.mul (local.get $b) (local.get $HB))))
      (local.set $orow (i32.add (local.get $out) (i32.mul (local.get $b) (local.get $HB))))
      (local.set $grow (i32.add (local.get $g) (i32.mul (local.get $b) (i32.shl (local.get $HB) (i32.const 2)))))
      (local.set $m (call $maskOf (local.get $mask) (local.get $b)))
      (local.set $jb (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $jb) (local.get $HB)))
        (if (local.get $bh)
          (then
            (local.set $br (v128.load (i32.add (local.get $bh) (local.get $jb))))
            (local.set $bz (v128.load (i32.add (i32.add (local.get $bh) (local.get $HB)) (local.get $jb))))
            (local.set $bn (v128.load (i32.add (i32.add (local.get $bh) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb))))))
        (local.set $r (call $sigmoid4 (f32x4.add (f32x4.add
          (v128.load (i32.add (local.get $xr) (local.get $jb)))
          (v128.load (i32.add (local.get $hr) (local.get $jb)))) (local.get $br))))
        (local.set $z (call $sigmoid4 (f32x4.add (f32x4.add
          (v128.load (i32.add (i32.add (local.get $xr) (local.get $HB)) (local.get $jb)))
          (v128.load (i32.add (i32.add (local.get $hr) (local.get $HB)) (local.get $jb)))) (local.get $bz))))
        (local.set $hn (f32x4.add (v128.load (i32.add (i32.add (local.get $hr) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb))) (local.get $bn)))
        (local.set $n (call $tanh4 (f32x4.relaxed_madd (local.get $r) (local.get $hn)
          (v128.load (i32.add (i32.add (local.get $xr) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb))))))
        (local.set $hv (v128.load (i32.add (local.get $hrow) (local.get $jb))))
        (local.set $hnew (f32x4.relaxed_madd (local.get $z) (f32x4.sub (local.get $hv) (local.get $n)) (local.get $n)))
        (if (local.get $mask)
          (then (local.set $hnew (f32x4.relaxed_madd (local.get $m) (f32x4.sub (local.get $hnew) (local.get $hv)) (local.get $hv)))))
        (v128.store (i32.add (local.get $orow) (local.get $jb)) (local.get $hnew))
        (v128.store (i32.add (local.get $grow) (local.get $jb)) (local.get $r))
        (v128.store (i32.add (i32.add (local.get $grow) (local.get $HB)) (local.get $jb)) (local.get $z))
        (v128.store (i32.add (i32.add (local.get $grow) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb)) (local.get $n))
        (v128.store (i32.add (i32.add (local.get $grow) (i32.mul (local.get $HB) (i32.const 3))) (local.get $jb)) (local.get $hn))
        (local.set $jb (i32.add (local.get $jb) (i32.const 16)))
        (br $jl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; Gradient of gruForward. dout: ∂L/∂h'' [B, H]; g, h, mask as saved.
  ;; dx: ∂L/∂x [B, 3H] (of the pre-activations r, z and of x_n);
  ;; dhp: ∂L/∂(h·W_h + b_h) [B, 3H] (r, z as dx; ĥ: ∂n-pre·r);
  ;; dh: the part of ∂L/∂h that does not pass through W_h [B, H].
  (func (export "gruBackward")
    (param $dout i32) (param $g i32) (param $h i32) (param $mask i32)
    (param $dx i32) (param $dhp i32) (param $dh i32) (param $B i32) (param $H i32)
    (local $b i32) (local $jb i32) (local $HB i32) (local $row3 i32) (local $row i32) (local $grow i32)
    (local $m v128) (local $d2 v128) (local $d1 v128) (local $r v128) (local $z v128) (local $n v128) (local $hn v128) (local $hv v128)
    (local $dpn v128) (local $dpr v128) (local $dpz v128) (local $one v128)
    (local.set $HB (i32.shl (local.get $H) (i32.const 2)))
    (local.set $one (v128.const f32x4 1 1 1 1))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $b) (local.get $B)))
      (local.set $row (i32.mul (local.get $b) (local.get $HB)))
      (local.set $row3 (i32.mul (local.get $row) (i32.const 3)))
      (local.set $grow (i32.add (local.get $g) (i32.shl (local.get $row) (i32.const 2))))
      (local.set $m (call $maskOf (local.get $mask) (local.get $b)))
      (local.set $jb (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $jb) (local.get $HB)))
        (local.set $d2 (v128.load (i32.add (i32.add (local.get $dout) (local.get $row)) (local.get $jb))))
        (local.set $d1 (f32x4.mul (local.get $m) (local.get $d2)))
        (local.set $r (v128.load (i32.add (local.get $grow) (local.get $jb))))
        (local.set $z (v128.load (i32.add (i32.add (local.get $grow) (local.get $HB)) (local.get $jb))))
        (local.set $n (v128.load (i32.add (i32.add (local.get $grow) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb))))
        (local.set $hn (v128.load (i32.add (i32.add (local.get $grow) (i32.mul (local.get $HB) (i32.const 3))) (local.get $jb))))
        (local.set $hv (v128.load (i32.add (i32.add (local.get $h) (local.get $row)) (local.get $jb))))
        ;; ∂h_prev (direct) = d1·z + (1 − m)·d2
        (v128.store (i32.add (i32.add (local.get $dh) (local.get $row)) (local.get $jb))
          (f32x4.relaxed_madd (f32x4.sub (local.get $one) (local.get $m)) (local.get $d2) (f32x4.mul (local.get $d1) (local.get $z))))
        ;; n-pre: d1·(1 − z)·(1 − n²)
        (local.set $dpn (f32x4.mul (f32x4.mul (local.get $d1) (f32x4.sub (local.get $one) (local.get $z)))
          (f32x4.sub (local.get $one) (f32x4.mul (local.get $n) (local.get $n)))))
        ;; r-pre: dpn·ĥ·r·(1 − r); z-pre: d1·(h − n)·z·(1 − z)
        (local.set $dpr (f32x4.mul (f32x4.mul (local.get $dpn) (local.get $hn))
          (f32x4.mul (local.get $r) (f32x4.sub (local.get $one) (local.get $r)))))
        (local.set $dpz (f32x4.mul (f32x4.mul (local.get $d1) (f32x4.sub (local.get $hv) (local.get $n)))
          (f32x4.mul (local.get $z) (f32x4.sub (local.get $one) (local.get $z)))))
        (v128.store (i32.add (i32.add (local.get $dx) (local.get $row3)) (local.get $jb)) (local.get $dpr))
        (v128.store (i32.add (i32.add (i32.add (local.get $dx) (local.get $row3)) (local.get $HB)) (local.get $jb)) (local.get $dpz))
        (v128.store (i32.add (i32.add (i32.add (local.get $dx) (local.get $row3)) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb)) (local.get $dpn))
        (v128.store (i32.add (i32.add (local.get $dhp) (local.get $row3)) (local.get $jb)) (local.get $dpr))
        (v128.store (i32.add (i32.add (i32.add (local.get $dhp) (local.get $row3)) (local.get $HB)) (local.get $jb)) (local.get $dpz))
        (v128.store (i32.add (i32.add (i32.add (local.get $dhp) (local.get $row3)) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb))
          (f32x4.mul (local.get $dpn) (local.get $r)))
        (local.set $jb (i32.add (local.get $jb) (i32.const 16)))
        (br $jl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; LSTM cell (src/core/model/rnn.ts; gates [input, forget, output, candidate]):
  ;;   i, f, o = σ(x + hp), g̃ = tanh(x_g + hp_g), c' = f·c + i·g̃, h' = o·tanh(c'),
  ;; with a padding mask m: h'' = h + m·(h' − h), c'' = c + m·(c' − c).
  ;; x, hp: [B, 4H]; h, c: [B, H]; mask: [B] (0 = none); hout, cout: [B, H];
  ;; g: saved [B, 5H] = i, f, o, g̃, tanh(c').
  (func (export "lstmForward")
    (param $x i32) (param $hp i32) (param $h i32) (param $c i32) (param $mask i32)
    (param $hout i32) (param $cout i32) (param $g i32) (param $B i32) (param $H i32)
    (local $b i32) (local $jb i32) (local $HB i32) (local $r4 i32) (local $row i32) (local $grow i32)
    (local $m v128) (local $i v128) (local $f v128) (local $o v128) (local $gt v128) (local $cn v128) (local $tc v128)
    (local $hv v128) (local $cv v128) (local $hn v128)
    (local.set $HB (i32.shl (local.get $H) (i32.const 2)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $b) (local.get $B)))
      (local.set $row (i32.mul (local.get $b) (local.get $HB)))
      (local.set $r4 (i32.shl (local.get $row) (i32.const 2)))
      (local.set $grow (i32.add (local.get $g) (i32.mul (local.get $row) (i32.const 5))))
      (local.set $m (call $maskOf (local.get $mask) (local.get $b)))
      (local.set $jb (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $jb) (local.get $HB)))
        (local.set $i (call $sigmoid4 (f32x4.add
          (v128.load (i32.add (i32.add (local.get $x) (local.get $r4)) (local.get $jb)))
          (v128.load (i32.add (i32.add (local.get $hp) (local.get $r4)) (local.get $jb))))))
        (local.set $f (call $sigmoid4 (f32x4.add
          (v128.load (i32.add (i32.add (i32.add (local.get $x) (local.get $r4)) (local.get $HB)) (local.get $jb)))
          (v128.load (i32.add (i32.add (i32.add (local.get $hp) (local.get $r4)) (local.get $HB)) (local.get $jb))))))
        (local.set $o (call $sigmoid4 (f32x4.add
          (v128.load (i32.add (i32.add (i32.add (local.get $x) (local.get $r4)) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb)))
          (v128.load (i32.add (i32.add (i32.add (local.get $hp) (local.get $r4)) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb))))))
        (local.set $gt (call $tanh4 (f32x4.add
          (v128.load (i32.add (i32.add (i32.add (local.get $x) (local.get $r4)) (i32.mul (local.get $HB) (i32.const 3))) (local.get $jb)))
          (v128.load (i32.add (i32.add (i32.add (local.get $hp) (local.get $r4)) (i32.mul (local.get $HB) (i32.const 3))) (local.get $jb))))))
        (local.set $hv (v128.load (i32.add (i32.add (local.get $h) (local.get $row)) (local.get $jb))))
        (local.set $cv (v128.load (i32.add (i32.add (local.get $c) (local.get $row)) (local.get $jb))))
        (local.set $cn (f32x4.relaxed_madd (local.get $i) (local.get $gt) (f32x4.mul (local.get $f) (local.get $cv))))
        (local.set $tc (call $tanh4 (local.get $cn)))
        (local.set $hn (f32x4.mul (local.get $o) (local.get $tc)))
        (if (local.get $mask)
          (then
            (local.set $hn (f32x4.relaxed_madd (local.get $m) (f32x4.sub (local.get $hn) (local.get $hv)) (local.get $hv)))
            (local.set $cn (f32x4.relaxed_madd (local.get $m) (f32x4.sub (local.get $cn) (local.get $cv)) (local.get $cv)))))
        (v128.store (i32.add (i32.add (local.get $hout) (local.get $row)) (local.get $jb)) (local.get $hn))
        (v128.store (i32.add (i32.add (local.get $cout) (local.get $row)) (local.get $jb)) (local.get $cn))
        (v128.store (i32.add (local.get $grow) (local.get $jb)) (local.get $i))
        (v128.store (i32.add (i32.add (local.get $grow) (local.get $HB)) (local.get $jb)) (local.get $f))
        (v128.store (i32.add (i32.add (local.get $grow) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb)) (local.get $o))
        (v128.store (i32.add (i32.add (local.get $grow) (i32.mul (local.get $HB) (i32.const 3))) (local.get $jb)) (local.get $gt))
        (v128.store (i32.add (i32.add (local.get $grow) (i32.shl (local.get $HB) (i32.const 2))) (local.get $jb)) (local.get $tc))
        (local.set $jb (i32.add (local.get $jb) (i32.const 16)))
        (br $jl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; Gradient of lstmForward. dh2, dc2: ∂L/∂h'', ∂L/∂c'' [B, H]; g, c, mask as saved.
  ;; dgates: ∂L/∂(x + hp) [B, 4H] (the pre-activations); dh: the part of
  ;; ∂L/∂h that does not pass through W_h, dc: ∂L/∂c [B, H].
  (func (export "lstmBackward")
    (param $dh2 i32) (param $dc2 i32) (param $g i32) (param $c i32) (param $mask i32)
    (param $dgates i32) (param $dh i32) (param $dc i32) (param $B i32) (param $H i32)
    (local $b i32) (local $jb i32) (local $HB i32) (local $row i32) (local $r4 i32) (local $grow i32)
    (local $m v128) (local $one v128) (local $dhv v128) (local $dcv v128) (local $d1h v128) (local $d1c v128)
    (local $i v128) (local $f v128) (local $o v128) (local $gt v128) (local $tc v128) (local $dct v128)
    (local.set $HB (i32.shl (local.get $H) (i32.const 2)))
    (local.set $one (v128.const f32x4 1 1 1 1))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $b) (local.get $B)))
      (local.set $row (i32.mul (local.get $b) (local.get $HB)))
      (local.set $r4 (i32.add (local.get $dgates) (i32.shl (local.get $row) (i32.const 2))))
      (local.set $grow (i32.add (local.get $g) (i32.mul (local.get $row) (i32.const 5))))
      (local.set $m (call $maskOf (local.get $mask) (local.get $b)))
      (local.set $jb (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $jb) (local.get $HB)))
        (local.set $dhv (v128.load (i32.add (i32.add (local.get $dh2) (local.get $row)) (local.get $jb))))
        (local.set $dcv (v128.load (i32.add (i32.add (local.get $dc2) (local.get $row)) (local.get $jb))))
        (local.set $d1h (f32x4.mul (local.get $m) (local.get $dhv)))
        (local.set $d1c (f32x4.mul (local.get $m) (local.get $dcv)))
        (local.set $i (v128.load (i32.add (local.get $grow) (local.get $jb))))
        (local.set $f (v128.load (i32.add (i32.add (local.get $grow) (local.get $HB)) (local.get $jb))))
        (local.set $o (v128.load (i32.add (i32.add (local.get $grow) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb))))
        (local.set $gt (v128.load (i32.add (i32.add (local.get $grow) (i32.mul (local.get $HB) (i32.const 3))) (local.get $jb))))
        (local.set $tc (v128.load (i32.add (i32.add (local.get $grow) (i32.shl (local.get $HB) (i32.const 2))) (local.get $jb))))
        ;; ∂c' = d1c + d1h·o·(1 − tanh²c')
        (local.set $dct (f32x4.relaxed_madd (f32x4.mul (local.get $d1h) (local.get $o))
          (f32x4.sub (local.get $one) (f32x4.mul (local.get $tc) (local.get $tc))) (local.get $d1c)))
        ;; gates: i·(1 − i)·∂c'·g̃, f·(1 − f)·∂c'·c, o·(1 − o)·d1h·tanh c', (1 − g̃²)·∂c'·i
        (v128.store (i32.add (local.get $r4) (local.get $jb))
          (f32x4.mul (f32x4.mul (local.get $dct) (local.get $gt)) (f32x4.mul (local.get $i) (f32x4.sub (local.get $one) (local.get $i)))))
        (v128.store (i32.add (i32.add (local.get $r4) (local.get $HB)) (local.get $jb))
          (f32x4.mul (f32x4.mul (local.get $dct) (v128.load (i32.add (i32.add (local.get $c) (local.get $row)) (local.get $jb))))
            (f32x4.mul (local.get $f) (f32x4.sub (local.get $one) (local.get $f)))))
        (v128.store (i32.add (i32.add (local.get $r4) (i32.shl (local.get $HB) (i32.const 1))) (local.get $jb))
          (f32x4.mul (f32x4.mul (local.get $d1h) (local.get $tc)) (f32x4.mul (local.get $o) (f32x4.sub (local.get $one) (local.get $o)))))
        (v128.store (i32.add (i32.add (local.get $r4) (i32.mul (local.get $HB) (i32.const 3))) (local.get $jb))
          (f32x4.mul (f32x4.mul (local.get $dct) (local.get $i)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $gt) (local.get $gt)))))
        ;; ∂c_prev = ∂c'·f + (1 − m)·dc2; ∂h_prev (direct) = (1 − m)·dh2
        (v128.store (i32.add (i32.add (local.get $dc) (local.get $row)) (local.get $jb))
          (f32x4.relaxed_madd (f32x4.sub (local.get $one) (local.get $m)) (local.get $dcv) (f32x4.mul (local.get $dct) (local.get $f))))
        (v128.store (i32.add (i32.add (local.get $dh) (local.get $row)) (local.get $jb))
          (f32x4.mul (f32x4.sub (local.get $one) (local.get $m)) (local.get $dhv)))
        (local.set $jb (i32.add (local.get $jb) (i32.const 16)))
        (br $jl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; Σ of the four lanes of a product accumulator.
  (func $dot4end (param $acc v128) (result f32)
    (call $hsum (local.get $acc)))

  ;; Attention of one decoder step, B rows over S source positions:
  ;;   additive (mode 0, Bahdanau): e = tanh(K + q), score = v·e;
  ;;   multiplicative (mode 1, Luong): score = K·q;
  ;;   α = softmax(score + bias) (padding: bias −1e9 → α exactly 0),
  ;;   context = Σ_s α_s·V_s.
  ;; keys K [B, S, A], q [B, A], v [A], values V [B, S, D], bias [B, S];
  ;; outputs ctx [B, D], alpha [B, S] and, additive, e [B, S, A] (saved).
  (func (export "attentionForward")
    (param $mode i32) (param $keys i32) (param $q i32) (param $v i32) (param $values i32) (param $bias i32)
    (param $ctx i32) (param $alpha i32) (param $e i32)
    (param $B i32) (param $S i32) (param $A i32) (param $D i32)
    (local $b i32) (local $s i32) (local $ab i32) (local $db i32) (local $AB i32) (local $DB i32)
    (local $krow i32) (local $qrow i32) (local $erow i32) (local $arow i32) (local $crow i32) (local $vrow i32)
    (local $acc v128) (local $t v128) (local $w v128) (local $score f32) (local $max f32) (local $sum f32) (local $x f32)
    (local.set $AB (i32.shl (local.get $A) (i32.const 2)))
    (local.set $DB (i32.shl (local.get $D) (i32.const 2)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $b) (local.get $B)))
      (local.set $qrow (i32.add (local.get $q) (i32.mul (local.get $b) (local.get $AB))))
      (local.set $arow (i32.add (local.get $alpha) (i32.shl (i32.mul (local.get $b) (local.get $S)) (i32.const 2))))
      (local.set $max (f32.const -inf))
      ;; scores
      (local.set $s (i32.const 0))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s (local.get $s) (local.get $S)))
        (local.set $krow (i32.add (local.get $keys) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $S)) (local.get $s)) (local.get $AB))))
        (local.set $erow (i32.add (local.get $e) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $S)) (local.get $s)) (local.get $AB))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $ab (i32.const 0))
        (block $ad (loop $al
          (br_if $ad (i32.ge_s (local.get $ab) (local.get $AB)))
          (if (i32.eqz (local.get $mode))
            (then
              (local.set $t (call $tanh4 (f32x4.add (v128.load (i32.add (local.get $krow) (local.get $ab))) (v128.load (i32.add (local.get $qrow) (local.get $ab))))))
              (v128.store (i32.add (local.get $erow) (local.get $ab)) (local.get $t))
              (local.set $acc (f32x4.relaxed_madd (local.get $t) (v128.load (i32.add (local.get $v) (local.get $ab))) (local.get $acc))))
            (else
              (local.set $acc (f32x4.relaxed_madd (v128.load (i32.add (local.get $krow) (local.get $ab))) (v128.load (i32.add (local.get $qrow) (local.get $ab))) (local.get $acc)))))
          (local.set $ab (i32.add (local.get $ab) (i32.const 16)))
          (br $al)))
        (local.set $score (f32.add (call $dot4end (local.get $acc))
          (f32.load (i32.add (local.get $bias) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $S)) (local.get $s)) (i32.const 2))))))
        (f32.store (i32.add (local.get $arow) (i32.shl (local.get $s) (i32.const 2))) (local.get $score))
        (local.set $max (f32.max (local.get $max) (local.get $score)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $sl)))
      ;; softmax over s (exp of a score more than 87 below the maximum is 0)
      (local.set $sum (f32.const 0))
      (local.set $s (i32.const 0))
      (block $sd2 (loop $sl2
        (br_if $sd2 (i32.ge_s (local.get $s) (local.get $S)))
        (local.set $x (f32.sub (f32.load (i32.add (local.get $arow) (i32.shl (local.get $s) (i32.const 2)))) (local.get $max)))
        (local.set $x (if (result f32) (f32.lt (local.get $x) (f32.const -87)) (then (f32.const 0))
          (else (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (local.get $x)))))))
        (f32.store (i32.add (local.get $arow) (i32.shl (local.get $s) (i32.const 2))) (local.get $x))
        (local.set $sum (f32.add (local.get $sum) (local.get $x)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $sl2)))
      (local.set $sum (f32.div (f32.const 1) (local.get $sum)))
      ;; α and the context
      (local.set $crow (i32.add (local.get $ctx) (i32.mul (local.get $b) (local.get $DB))))
      (local.set $db (i32.const 0))
      (block $zd (loop $zl
        (br_if $zd (i32.ge_s (local.get $db) (local.get $DB)))
        (v128.store (i32.add (local.get $crow) (local.get $db)) (v128.const i32x4 0 0 0 0))
        (local.set $db (i32.add (local.get $db) (i32.const 16)))
        (br $zl)))
      (local.set $s (i32.const 0))
      (block $sd3 (loop $sl3
        (br_if $sd3 (i32.ge_s (local.get $s) (local.get $S)))
        (local.set $x (f32.mul (f32.load (i32.add (local.get $arow) (i32.shl (local.get $s) (i32.const 2)))) (local.get $sum)))
        (f32.store (i32.add (local.get $arow) (i32.shl (local.get $s) (i32.const 2))) (local.get $x))
        (local.set $w (f32x4.splat (local.get $x)))
        (local.set $vrow (i32.add (local.get $values) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $S)) (local.get $s)) (local.get $DB))))
        (local.set $db (i32.const 0))
        (block $dd (loop $dl
          (br_if $dd (i32.ge_s (local.get $db) (local.get $DB)))
          (v128.store (i32.add (local.get $crow) (local.get $db))
            (f32x4.relaxed_madd (local.get $w) (v128.load (i32.add (local.get $vrow) (local.get $db))) (v128.load (i32.add (local.get $crow) (local.get $db)))))
          (local.set $db (i32.add (local.get $db) (i32.const 16)))
          (br $dl)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $sl3)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; Gradient of attentionForward. dctx [B, D], dalpha [B, S] (0 = none);
  ;; outputs dkeys [B, S, A], dq [B, A], dv [A] (additive; summed over the
  ;; batch), dvalues [B, S, D]; with acc ≠ 0, dkeys, dv and dvalues are added
  ;; to (the sums over a sequence of steps); tmp: S floats of scratch.
  (func (export "attentionBackward")
    (param $mode i32) (param $keys i32) (param $q i32) (param $v i32) (param $values i32)
    (param $alpha i32) (param $e i32) (param $dctx i32) (param $dalpha i32)
    (param $dkeys i32) (param $dq i32) (param $dv i32) (param $dvalues i32) (param $tmp i32)
    (param $B i32) (param $S i32) (param $A i32) (param $D i32) (param $acc i32)
    (local $b i32) (local $s i32) (local $ab i32) (local $db i32) (local $AB i32) (local $DB i32) (local $bs i32)
    (local $crow i32) (local $vrow i32) (local $qrow i32) (local $krow i32) (local $erow i32) (local $dqrow i32) (local $crow2 i32)
    (local $sum v128) (local $w v128) (local $ds v128) (local $ev v128) (local $de v128)
    (local $x f32) (local $dot f32) (local $a f32)
    (local.set $AB (i32.shl (local.get $A) (i32.const 2)))
    (local.set $DB (i32.shl (local.get $D) (i32.const 2)))
    (if (i32.and (i32.eqz (local.get $mode)) (i32.eqz (local.get $acc)))
      (then
        (local.set $ab (i32.const 0))
        (block $zd (loop $zl
          (br_if $zd (i32.ge_s (local.get $ab) (local.get $AB)))
          (v128.store (i32.add (local.get $dv) (local.get $ab)) (v128.const i32x4 0 0 0 0))
          (local.set $ab (i32.add (local.get $ab) (i32.const 16)))
          (br $zl)))))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $b) (local.get $B)))
      (local.set $crow (i32.add (local.get $dctx) (i32.mul (local.get $b) (local.get $DB))))
      (local.set $qrow (i32.add (local.get $q) (i32.mul (local.get $b) (local.get $AB))))
      (local.set $dqrow (i32.add (local.get $dq) (i32.mul (local.get $b) (local.get $AB))))
      ;; ∂α_s = dalpha + dctx·V_s; ∂V_s = α_s·dctx
      (local.set $dot (f32.const 0))
      (local.set $s (i32.const 0))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s (local.get $s) (local.get $S)))
        (local.set $bs (i32.add (i32.mul (local.get $b) (local.get $S)) (local.get $s)))
        (local.set $vrow (i32.add (local.get $values) (i32.mul (local.get $bs) (local.get $DB))))
        (local.set $a (f32.load (i32.add (local.get $alpha) (i32.shl (local.get $bs) (i32.const 2)))))
        (local.set $w (f32x4.splat (local.get $a)))
        (local.set $sum (v128.const i32x4 0 0 0 0))
        (local.set $db (i32.const 0))
        (block $dd (loop $dl
          (br_if $dd (i32.ge_s (local.get $db) (local.get $DB)))
          (local.set $ev (v128.load (i32.add (local.get $crow) (local.get $db))))
          (local.set $sum (f32x4.relaxed_madd (local.get $ev) (v128.load (i32.add (local.get $vrow) (local.get $db))) (local.get $sum)))
          (local.set $crow2 (i32.add (i32.add (local.get $dvalues) (i32.mul (local.get $bs) (local.get $DB))) (local.get $db)))
          (v128.store (local.get $crow2)
            (if (result v128) (local.get $acc)
              (then (f32x4.relaxed_madd (local.get $w) (local.get $ev) (v128.load (local.get $crow2))))
              (else (f32x4.mul (local.get $w) (local.get $ev)))))
          (local.set $db (i32.add (local.get $db) (i32.const 16)))
          (br $dl)))
        (local.set $x (call $dot4end (local.get $sum)))
        (if (local.get $dalpha)
          (then (local.set $x (f32.add (local.get $x) (f32.load (i32.add (local.get $dalpha) (i32.shl (local.get $bs) (i32.const 2))))))))
        (f32.store (i32.add (local.get $tmp) (i32.shl (local.get $s) (i32.const 2))) (local.get $x))
        (local.set $dot (f32.add (local.get $dot) (f32.mul (local.get $a) (local.get $x))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $sl)))
      ;; ∂score_s = α_s·(∂α_s − Σ α·∂α), then through the scores
      (local.set $ab (i32.const 0))
      (block $zq (loop $zql
        (br_if $zq (i32.ge_s (local.get $ab) (local.get $AB)))
        (v128.store (i32.add (local.get $dqrow) (local.get $ab)) (v128.const i32x4 0 0 0 0))
        (local.set $ab (i32.add (local.get $ab) (i32.const 16)))
        (br $zql)))
      (local.set $s (i32.const 0))
      (block $sd2 (loop $sl2
        (br_if $sd2 (i32.ge_s (local.get $s) (local.get $S)))
        (local.set $bs (i32.add (i32.mul (local.get $b) (local.get $S)) (local.get $s)))
        (local.set $ds (f32x4.splat (f32.mul
          (f32.load (i32.add (local.get $alpha) (i32.shl (local.get $bs) (i32.const 2))))
          (f32.sub (f32.load (i32.add (local.get $tmp) (i32.shl (local.get $s) (i32.const 2)))) (local.get $dot)))))
        (local.set $krow (i32.add (local.get $keys) (i32.mul (local.get $bs) (local.get $AB))))
        (local.set $erow (i32.add (local.get $e) (i32.mul (local.get $bs) (local.get $AB))))
        (local.set $ab (i32.const 0))
        (block $ad (loop $al
          (br_if $ad (i32.ge_s (local.get $ab) (local.get $AB)))
          (if (i32.eqz (local.get $mode))
            (then
              ;; ∂e = ∂score·v; through tanh: ·(1 − e²); ∂v += ∂score·e
              (local.set $ev (v128.load (i32.add (local.get $erow) (local.get $ab))))
              (local.set $de (f32x4.mul (f32x4.mul (local.get $ds) (v128.load (i32.add (local.get $v) (local.get $ab))))
                (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $ev) (local.get $ev)))))
              (local.set $crow2 (i32.add (i32.add (local.get $dkeys) (i32.mul (local.get $bs) (local.get $AB))) (local.get $ab)))
              (v128.store (local.get $crow2)
                (if (result v128) (local.get $acc) (then (f32x4.add (local.get $de) (v128.load (local.get $crow2)))) (else (local.get $de))))
              (v128.store (i32.add (local.get $dqrow) (local.get $ab)) (f32x4.add (v128.load (i32.add (local.get $dqrow) (local.get $ab))) (local.get $de)))
              (v128.store (i32.add (local.get $dv) (local.get $ab))
                (f32x4.relaxed_madd (local.get $ds) (local.get $ev) (v128.load (i32.add (local.get $dv) (local.get $ab))))))
            (else
              ;; ∂K_s = ∂score·q; ∂q += ∂score·K_s
              (local.set $crow2 (i32.add (i32.add (local.get $dkeys) (i32.mul (local.get $bs) (local.get $AB))) (local.get $ab)))
              (v128.store (local.get $crow2)
                (if (result v128) (local.get $acc)
                  (then (f32x4.relaxed_madd (local.get $ds) (v128.load (i32.add (local.get $qrow) (local.get $ab))) (v128.load (local.get $crow2))))
                  (else (f32x4.mul (local.get $ds) (v128.load (i32.add (local.get $qrow) (local.get $ab)))))))
              (v128.store (i32.add (local.get $dqrow) (local.get $ab))
                (f32x4.relaxed_madd (local.get $ds) (v128.load (i32.add (local.get $krow) (local.get $ab))) (v128.load (i32.add (local.get $dqrow) (local.get $ab)))))))
          (local.set $ab (i32.add (local.get $ab) (i32.const 16)))
          (br $al)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $sl2)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; ---------------------------------------------------------------------
  ;; Softmax cross-entropy over a vocabulary row (the fused loss of
  ;; src/core/model/loss.ts on the heap): maxAndSum gives max_v z and Σ_v z
  ;; (float64, for label smoothing); expShift writes exp(z − max) and returns
  ;; its sum; the caller forms lse = max + log Σ exp(z − max), and
  ;; scaleShift turns the numerators into the gradient row.
  ;; ---------------------------------------------------------------------

  ;; max_v z[v] and Σ_v z[v] (summed in float64) for v < V.
  (func (export "maxAndSum") (param $z i32) (param $V i32) (result f32 f64)
    (local $end4 i32) (local $p i32) (local $end i32) (local $x v128)
    (local $m v128) (local $acc0 v128) (local $acc1 v128) (local $mx f32) (local $s f64)
    (local.set $end (i32.add (local.get $z) (i32.shl (local.get $V) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $z) (i32.shl (i32.and (local.get $V) (i32.const -4)) (i32.const 2))))
    (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $p (local.get $z))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $x (v128.load (local.get $p)))
      (local.set $m (f32x4.max (local.get $m) (local.get $x)))
      (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.promote_low_f32x4 (local.get $x))))
      (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l)))
    (local.set $mx (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
      (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
    (block $done1 (loop $l1
      (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $mx (f32.max (local.get $mx) (f32.load (local.get $p))))
      (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (local.get $p)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l1)))
    (local.get $mx)
    (local.get $s))

  ;; out[v] = exp(z[v] − max) for v < V (max ≥ every z: exponents ≤ 0);
  ;; returns Σ_v out[v] summed in float64 — the softmax numerators and
  ;; denominator of a row in one pass (one exp per element).
  (func (export "expShift") (param $z i32) (param $V i32) (param $max f32) (param $out i32) (result f64)
    (local $end4 i32) (local $p i32) (local $o i32) (local $end i32) (local $mv v128) (local $e v128)
    (local $acc0 v128) (local $acc1 v128) (local $s f64) (local $x f32)
    (local.set $end (i32.add (local.get $z) (i32.shl (local.get $V) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $z) (i32.shl (i32.and (local.get $V) (i32.const -4)) (i32.const 2))))
    (local.set $mv (f32x4.splat (local.get $max)))
    (local.set $p (local.get $z))
    (local.set $o (local.get $out))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $e (call $exp4 (f32x4.sub (v128.load (local.get $p)) (local.get $mv))))
      (v128.store (local.get $o) (local.get $e))
      (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.promote_low_f32x4 (local.get $e))))
      (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $l)))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
    (block $done1 (loop $l1
      (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $x (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (f32.sub (f32.load (local.get $p)) (local.get $max))))))
      (f32.store (local.get $o) (local.get $x))
      (local.set $s (f64.add (local.get $s) (f64.promote_f32 (local.get $x))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $l1)))
    (local.get $s))

  ;; x[v] = scale·x[v] − shift for v < V, in place: with scale = m/Σ and
  ;; shift = m·ε/V, the gradient row of the (label-smoothed) cross-entropy
  ;; from expShift's numerators, before the gold word's −m·(1 − ε).
  (func (export "scaleShift") (param $x i32) (param $V i32) (param $scale f32) (param $shift f32)
    (local $end4 i32) (local $p i32) (local $end i32) (local $sv v128) (local $hv v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $V) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $V) (i32.const -4)) (i32.const 2))))
    (local.set $sv (f32x4.splat (local.get $scale)))
    (local.set $hv (f32x4.splat (local.get $shift)))
    (local.set $p (local.get $x))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end4)))
      (v128.store (local.get $p) (f32x4.sub (f32x4.mul (local.get $sv) (v128.load (local.get $p))) (local.get $hv)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l)))
    (block $done1 (loop $l1
      (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
      (f32.store (local.get $p) (f32.sub (f32.mul (local.get $scale) (f32.load (local.get $p))) (local.get $shift)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l1))))

  ;; ---------------------------------------------------------------------
  ;; Data-parallel gradient exchange (src/core/training/parallel.ts, on a
  ;; shared memory): the token-weighted mean of the replicas' gradients over
  ;; one replica's range of the parameters.
  ;; ---------------------------------------------------------------------

  ;; dst[i] = Σ_r w_r·src_r[i] for i < n, summed in float64 and rounded once
  ;; to float32; table: R entries of 16 bytes (f64 w_r, then i32 src_r).
  ;; Returns Σ_i dst[i]² (float64, of the rounded values). dst may be one of
  ;; the sources (each element is read before it is written).
  (func (export "combineSq") (param $dst i32) (param $n i32) (param $R i32) (param $table i32) (result f64)
    (local $off i32) (local $end4 i32) (local $end i32) (local $r i32) (local $e i32)
    (local $lo v128) (local $hi v128) (local $x v128) (local $w v128) (local $y v128)
    (local $sq0 v128) (local $sq1 v128) (local $s f64) (local $acc f64) (local $yf f64)
    (local $w0 v128) (local $w1 v128) (local $s0 i32) (local $s1 i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    ;; Two replicas (the usual case): the sources and weights in registers.
    (if (i32.eq (local.get $R) (i32.const 2))
      (then
        (local.set $w0 (f64x2.splat (f64.load (local.get $table))))
        (local.set $w1 (f64x2.splat (f64.load offset=16 (local.get $table))))
        (local.set $s0 (i32.load offset=8 (local.get $table)))
        (local.set $s1 (i32.load offset=24 (local.get $table)))
        (block $done2 (loop $l2
          (br_if $done2 (i32.ge_u (local.get $off) (local.get $end4)))
          (local.set $x (v128.load (i32.add (local.get $s0) (local.get $off))))
          (local.set $w (v128.load (i32.add (local.get $s1) (local.get $off))))
          (local.set $lo (f64x2.add (f64x2.mul (local.get $w0) (f64x2.promote_low_f32x4 (local.get $x)))
            (f64x2.mul (local.get $w1) (f64x2.promote_low_f32x4 (local.get $w)))))
          (local.set $hi (f64x2.add
            (f64x2.mul (local.get $w0) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))
            (f64x2.mul (local.get $w1) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
          (local.set $y (call $demote4 (local.get $lo) (local.get $hi)))
          (v128.store (i32.add (local.get $dst) (local.get $off)) (local.get $y))
          (local.set $sq0 (f64x2.add (local.get $sq0)
            (f64x2.mul (f64x2.promote_low_f32x4 (local.get $y)) (f64x2.promote_low_f32x4 (local.get $y)))))
          (local.set $y (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))
          (local.set $sq1 (f64x2.add (local.get $sq1)
            (f64x2.mul (f64x2.promote_low_f32x4 (local.get $y)) (f64x2.promote_low_f32x4 (local.get $y)))))
          (local.set $off (i32.add (local.get $off) (i32.const 16)))
          (br $l2)))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $off) (local.get $end4)))
      (local.set $lo (v128.const i32x4 0 0 0 0))
      (local.set $hi (v128.const i32x4 0 0 0 0))
      (local.set $r (i32.const 0))
      (block $rd (loop $rl
        (br_if $rd (i32.ge_s (local.get $r) (local.get $R)))
        (local.set $e (i32.add (local.get $table) (i32.shl (local.get $r) (i32.const 4))))
        (local.set $w (f64x2.splat (f64.load (local.get $e))))
        (local.set $x (v128.load (i32.add (i32.load offset=8 (local.get $e)) (local.get $off))))
        (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (local.get $w) (f64x2.promote_low_f32x4 (local.get $x)))))
        (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (local.get $w) (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))
      (local.set $y (call $demote4 (local.get $lo) (local.get $hi)))
      (v128.store (i32.add (local.get $dst) (local.get $off)) (local.get $y))
      (local.set $sq0 (f64x2.add (local.get $sq0)
        (f64x2.mul (f64x2.promote_low_f32x4 (local.get $y)) (f64x2.promote_low_f32x4 (local.get $y)))))
      (local.set $y (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))
      (local.set $sq1 (f64x2.add (local.get $sq1)
        (f64x2.mul (f64x2.promote_low_f32x4 (local.get $y)) (f64x2.promote_low_f32x4 (local.get $y)))))
      (local.set $off (i32.add (local.get $off) (i32.const 16)))
      (br $l)))
    (local.set $sq0 (f64x2.add (local.get $sq0) (local.get $sq1)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $sq0)) (f64x2.extract_lane 1 (local.get $sq0))))
    (block $done1 (loop $l1
      (br_if $done1 (i32.ge_u (local.get $off) (local.get $end)))
      (local.set $acc (f64.const 0))
      (local.set $r (i32.const 0))
      (block $rd1 (loop $rl1
        (br_if $rd1 (i32.ge_s (local.get $r) (local.get $R)))
        (local.set $e (i32.add (local.get $table) (i32.shl (local.get $r) (i32.const 4))))
        (local.set $acc (f64.add (local.get $acc) (f64.mul (f64.load (local.get $e))
          (f64.promote_f32 (f32.load (i32.add (i32.load offset=8 (local.get $e)) (local.get $off)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl1)))
      (local.set $yf (f64.promote_f32 (f32.demote_f64 (local.get $acc))))
      (f32.store (i32.add (local.get $dst) (local.get $off)) (f32.demote_f64 (local.get $acc)))
      (local.set $s (f64.add (local.get $s) (f64.mul (local.get $yf) (local.get $yf))))
      (local.set $off (i32.add (local.get $off) (i32.const 4)))
      (br $l1)))
    (local.get $s))
)
