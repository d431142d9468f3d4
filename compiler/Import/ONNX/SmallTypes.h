//===- SmallTypes.h - ONNX's 8-, 4- and 2-bit element types ---------------===//
//
// The float8 formats (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ, E8M0), float4
// (E2M1) and the 4- and 2-bit integers of ONNX 1.14+. dlc stores each element
// in one byte, in the model and at the artifact's boundary: the float
// formats as their bit pattern, the integers as their value (sign-extended
// for INT4/INT2). ONNX files pack 4- and 2-bit elements; the tools unpack
// them on reading and pack them on writing. Header-only: the importer and
// the command-line tools share it, and neither needs more than this.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_IMPORT_ONNX_SMALLTYPES_H
#define DLC_COMPILER_IMPORT_ONNX_SMALLTYPES_H

#include <cmath>
#include <cstdint>
#include <limits>

namespace dlc::small {

// ONNX TensorProto codes.
enum : int32_t {
  kF8E4M3FN = 17, kF8E4M3FNUZ = 18, kF8E5M2 = 19, kF8E5M2FNUZ = 20,
  kUInt4 = 21, kInt4 = 22, kF4E2M1 = 23, kF8E8M0 = 24, kUInt2 = 25,
  kInt2 = 26,
};

/// How a small float format encodes its special values.
enum class Specials {
  IEEE, // Top exponent: infinities and NaNs (E5M2).
  FN,   // No infinities; only all-ones exponent and mantissa is NaN (E4M3FN).
  FNUZ, // No infinities, no negative zero; 0x80 is the only NaN.
  None, // Every pattern is a number (E2M1).
  E8M0, // Exponent only, no sign; 0xFF is NaN.
};

struct FloatFormat {
  int expBits, manBits, bias;
  Specials specials;
  int bits() const { return 1 + expBits + manBits; }
};

inline bool isSmallFloat(int32_t dtype) {
  return (dtype >= kF8E4M3FN && dtype <= kF8E5M2FNUZ) || dtype == kF4E2M1 ||
         dtype == kF8E8M0;
}
inline bool isSmallInt(int32_t dtype) {
  return dtype == kUInt4 || dtype == kInt4 || dtype == kUInt2 ||
         dtype == kInt2;
}
inline bool isSmallType(int32_t dtype) {
  return isSmallFloat(dtype) || isSmallInt(dtype);
}
/// Bits per element as ONNX files store them (packed below 8).
inline int storedBits(int32_t dtype) {
  switch (dtype) {
  case kUInt4: case kInt4: case kF4E2M1: return 4;
  case kUInt2: case kInt2: return 2;
  default: return 8;
  }
}
inline bool isSignedSmallInt(int32_t dtype) {
  return dtype == kInt4 || dtype == kInt2;
}

inline FloatFormat floatFormat(int32_t dtype) {
  switch (dtype) {
  case kF8E4M3FN: return {4, 3, 7, Specials::FN};
  case kF8E4M3FNUZ: return {4, 3, 8, Specials::FNUZ};
  case kF8E5M2: return {5, 2, 15, Specials::IEEE};
  case kF8E5M2FNUZ: return {5, 2, 16, Specials::FNUZ};
  case kF4E2M1: return {2, 1, 1, Specials::None};
  default: return {8, 0, 127, Specials::E8M0};
  }
}

/// The value of the bit pattern `code` (low bits) of small float `dtype`.
inline double decodeFloat(int32_t dtype, uint32_t code) {
  FloatFormat f = floatFormat(dtype);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (f.specials == Specials::E8M0)
    return code == 0xFF ? nan : std::ldexp(1.0, int(code) - 127);
  uint32_t signBit = 1u << (f.expBits + f.manBits);
  uint32_t expMax = (1u << f.expBits) - 1, manMax = (1u << f.manBits) - 1;
  uint32_t e = (code >> f.manBits) & expMax, m = code & manMax;
  bool negative = code & signBit;
  if (f.specials == Specials::FNUZ && code == signBit)
    return nan;
  if (f.specials == Specials::IEEE && e == expMax)
    return m ? nan : (negative ? -INFINITY : INFINITY);
  if (f.specials == Specials::FN && e == expMax && m == manMax)
    return nan;
  double v = e == 0 ? std::ldexp(double(m), 1 - f.bias - f.manBits)
                    : std::ldexp(1.0 + double(m) / (1u << f.manBits),
                                 int(e) - f.bias);
  return negative ? -v : v;
}

/// The largest finite value's magnitude pattern (no sign bit).
inline uint32_t maxFiniteCode(int32_t dtype) {
  FloatFormat f = floatFormat(dtype);
  uint32_t all = (1u << (f.expBits + f.manBits)) - 1;
  switch (f.specials) {
  case Specials::IEEE: return all - (1u << f.manBits); // Below the inf.
  case Specials::FN: return all - 1;                   // Below the NaN.
  default: return all;
  }
}

} // namespace dlc::small

#endif // DLC_COMPILER_IMPORT_ONNX_SMALLTYPES_H
