// CodeSearch::nearest_n: the scalar search of adamw8bit.hpp, 16 values at a time with AVX-512
// gathers (GCC does not emit gathers for the scalar loop under its generic tuning). Every step
// is the scalar one's integer or exact comparison, so the codes are the same bit for bit.
#include "train/adamw8bit.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WIZARD_CODE_SEARCH_AVX512 1
#endif

namespace wizard::train::detail {

#ifdef WIZARD_CODE_SEARCH_AVX512
// GCC 12's AVX-512 headers start some intrinsics from _mm512_undefined_epi32(), which its
// -Wmaybe-uninitialized reports once they are inlined here (a known false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
namespace {

__attribute__((target("avx512f"))) int64_t nearest_avx512(const std::int32_t* start,
                                                          const float* bounds, const float* x,
                                                          std::uint8_t* codes, int64_t n,
                                                          int mantissa_bits, int smallest_exponent,
                                                          int magnitude_keys) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi32(1);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 value = _mm512_loadu_ps(x + i);
    const __m512i bits = _mm512_castps_si512(value);
    const __m512i magnitude = _mm512_and_si512(bits, _mm512_set1_epi32(0x7FFFFFFF));
    // magnitude_key: 0 below 2^-24, else 1 + (exponent << mantissa_bits) + top mantissa bits.
    const __m512i exponent =
        _mm512_sub_epi32(_mm512_srli_epi32(magnitude, 23), _mm512_set1_epi32(smallest_exponent));
    const __m512i top = _mm512_and_si512(_mm512_srli_epi32(magnitude, 23 - mantissa_bits),
                                         _mm512_set1_epi32((1 << mantissa_bits) - 1));
    __m512i key = _mm512_add_epi32(_mm512_add_epi32(one, top),
                                   _mm512_sllv_epi32(exponent, _mm512_set1_epi32(mantissa_bits)));
    key = _mm512_mask_blend_epi32(_mm512_cmplt_epi32_mask(exponent, zero), key, zero);
    // The start slot: keys - 1 - key for negative x, keys + key otherwise.
    const __m512i slot =
        _mm512_mask_blend_epi32(_mm512_cmplt_epi32_mask(bits, zero),
                                _mm512_add_epi32(_mm512_set1_epi32(magnitude_keys), key),
                                _mm512_sub_epi32(_mm512_set1_epi32(magnitude_keys - 1), key));
    __m512i index = _mm512_i32gather_epi32(slot, start, 4);
    for (int step = 0; step < 2; ++step) {
      const __m512 bound = _mm512_i32gather_ps(index, bounds, 4);
      index =
          _mm512_mask_add_epi32(index, _mm512_cmp_ps_mask(bound, value, _CMP_LT_OQ), index, one);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + i), _mm512_cvtepi32_epi8(index));
  }
  return i;
}

bool has_avx512f() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace
#pragma GCC diagnostic pop
#endif

void CodeSearch::nearest_n(const float* x, std::uint8_t* codes, int64_t n) const {
  int64_t done = 0;
#ifdef WIZARD_CODE_SEARCH_AVX512
  if (has_avx512f()) {
    done = nearest_avx512(start_.data(), bounds_.data(), x, codes, n, kMantissaBits,
                          kSmallestExponent, kMagnitudeKeys);
  }
#endif
  nearest_n_scalar(x + done, codes + done, n - done);
}

}  // namespace wizard::train::detail
