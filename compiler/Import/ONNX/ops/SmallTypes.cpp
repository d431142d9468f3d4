//===- SmallTypes.cpp - float8/float4/int4/int2 conversions ---------------===//
//
// Conversions between f32 and ONNX's small types (SmallTypes.h), stored one
// per byte (i8). They are plain bit manipulation, written at import as one
// elementwise linalg.generic each, so every target runs them and no
// runtime library is involved (LLVM has no float8 types; MLIR's arith-expand
// covers only E8M0 and E2M1):
//  - decoding reads a constant table of the 2^bits values, exact;
//  - encoding rounds to nearest-even the way IEEE conversions do: scale the
//    magnitude so that one unit of the target's last place is 1 (a power of
//    two, exact), round to an integer with the 2^23 addition trick (no
//    roundeven call that would need libm on plain x86-64), and assemble
//    exponent and mantissa by integer arithmetic. Codes of the small formats
//    grow with the magnitude, so a rounding carry lands on the next binade
//    by itself, and overflow is one comparison with the largest finite code.
// Out-of-range values follow ONNX Cast: with saturate, ±max; without, the
// infinity where the format has one (E5M2), else NaN. E2M1 always
// saturates (it has neither); NaN maps as ONNX's reference does.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/SmallTypes.h"
#include "compiler/Import/ONNX/ops/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::dlc;
namespace small = ::dlc::small;

namespace {

struct I32 {
  OpBuilder &b;
  Location l;
  Value k(int64_t v) {
    return arith::ConstantOp::create(b, l, b.getI32Type(),
                                     b.getI32IntegerAttr(int32_t(v)));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, l, x, y); }
  Value andi(Value x, int64_t m) { return arith::AndIOp::create(b, l, x, k(m)); }
  Value ori(Value x, Value y) { return arith::OrIOp::create(b, l, x, y); }
  Value shl(Value x, int64_t s) { return arith::ShLIOp::create(b, l, x, k(s)); }
  Value shr(Value x, int64_t s) { return arith::ShRUIOp::create(b, l, x, k(s)); }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, l, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, l, p, x, y);
  }
  Value sel(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, l, c, x, y);
  }
};

} // namespace

Value mlir::dlc::mapElements(
    ImportContext &c, Value x, Type elem,
    function_ref<Value(OpBuilder &, Location, Value)> fn) {
  auto t = cast<RankedTensorType>(x.getType());
  Value init = tensor::EmptyOp::create(c.b, t.getShape(), elem);
  AffineMap id = c.b.getMultiDimIdentityMap(t.getRank());
  auto g = linalg::GenericOp::create(
      c.b, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
      ArrayRef<AffineMap>{id, id},
      SmallVector<utils::IteratorType>(t.getRank(),
                                       utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange a) {
        linalg::YieldOp::create(b, l, fn(b, l, a[0]));
      });
  return g.getResult(0);
}

Value mlir::dlc::decodeSmallFloat(ImportContext &c, Value x, int32_t dtype) {
  small::FloatFormat f = small::floatFormat(dtype);
  int64_t n = int64_t(1) << f.bits();
  std::vector<float> table(n);
  for (int64_t i = 0; i < n; ++i)
    table[i] = float(small::decodeFloat(dtype, uint32_t(i)));
  Value values = c.constF32({n}, table);
  return mapElements(
      c, x, c.b.getF32Type(), [&](OpBuilder &b, Location l, Value v) {
        Value i = arith::ExtUIOp::create(b, l, b.getI32Type(), v);
        i = arith::AndIOp::create(
            b, l, i,
            arith::ConstantOp::create(b, l, b.getI32Type(),
                                      b.getI32IntegerAttr(int32_t(n - 1))));
        Value idx = arith::IndexCastOp::create(b, l, b.getIndexType(), i);
        return tensor::ExtractOp::create(b, l, values, ValueRange{idx})
            .getResult();
      });
}

Value mlir::dlc::encodeSmallFloat(ImportContext &c, Value x, int32_t dtype,
                                  bool saturate) {
  small::FloatFormat f = small::floatFormat(dtype);
  int m = f.manBits, emin = 1 - f.bias;
  int64_t maxCode = small::maxFiniteCode(dtype);
  int64_t signBit = int64_t(1) << (f.expBits + m);
  int64_t expMax = (int64_t(1) << f.expBits) - 1;
  bool fnuz = f.specials == small::Specials::FNUZ;
  if (f.specials == small::Specials::None)
    saturate = true; // E2M1 has no infinity and no NaN.
  // The magnitude pattern of a NaN, and of an overflow without saturation.
  int64_t nanMag = f.specials == small::Specials::IEEE
                       ? (expMax << m) | (int64_t(1) << (m - 1))
                   : f.specials == small::Specials::FN ? signBit - 1
                                                       : 0;
  int64_t overflowMag = f.specials == small::Specials::IEEE ? expMax << m
                                                            : nanMag;
  // Magnitudes are clamped first to a power of two beyond every finite
  // value (so that infinities take the overflow path with finite math).
  float big = std::ldexp(1.0f, int(expMax) - f.bias + 2);
  return mapElements(
      c, x, c.b.getI8Type(), [&](OpBuilder &b, Location l, Value v) {
        I32 i{b, l};
        Type f32 = b.getF32Type();
        auto fk = [&](float y) {
          return arith::ConstantOp::create(b, l, f32, b.getF32FloatAttr(y));
        };
        Value bits = arith::BitcastOp::create(b, l, b.getI32Type(), v);
        Value sign = i.shr(bits, 31);
        Value isNan =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, v, v);
        Value a = arith::BitcastOp::create(b, l, f32, i.andi(bits, 0x7fffffff));
        a = arith::SelectOp::create(
            b, l, arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, a,
                                        fk(big)),
            fk(big), a);
        a = arith::SelectOp::create(b, l, isNan, fk(0), a);
        Value absBits = arith::BitcastOp::create(b, l, b.getI32Type(), a);
        Value ea = i.sub(i.shr(absBits, 23), i.k(127));
        Value eff = i.max(ea, i.k(emin));
        // 2^-(eff - m) as a float: one unit in the target's last place is 1.
        Value scale = arith::BitcastOp::create(
            b, l, f32, i.shl(i.sub(i.k(127 + m), eff), 23));
        Value q = arith::MulFOp::create(b, l, a, scale);
        Value magic = fk(8388608.0f); // 2^23: adding it rounds to even.
        Value r = arith::SubFOp::create(
            b, l, arith::AddFOp::create(b, l, q, magic), magic);
        Value n = arith::FPToSIOp::create(b, l, b.getI32Type(), r);
        Value code = i.add(i.shl(i.sub(eff, i.k(emin)), m), n);
        Value over = i.cmp(arith::CmpIPredicate::sgt, code, i.k(maxCode));
        Value mag = i.sel(over, i.k(saturate ? maxCode : overflowMag), code);
        mag = i.sel(isNan, i.k(nanMag), mag);
        Value out;
        if (fnuz) {
          // No negative zero; NaN (and overflow without saturation) is the
          // lone sign-only pattern 0x80.
          Value zero = i.cmp(arith::CmpIPredicate::eq, mag, i.k(0));
          out = i.sel(zero, i.k(0), i.ori(mag, i.shl(sign, f.expBits + m)));
          Value special = isNan;
          if (!saturate)
            special = arith::OrIOp::create(b, l, special, over);
          out = i.sel(special, i.k(signBit), out);
        } else if (f.specials == small::Specials::None) {
          // As ONNX's reference (ml_dtypes): NaN becomes -0.
          out = i.sel(isNan, i.k(signBit), i.ori(mag, i.shl(sign, f.expBits + m)));
        } else {
          out = i.ori(mag, i.shl(sign, f.expBits + m));
        }
        return arith::TruncIOp::create(b, l, b.getI8Type(), out).getResult();
      });
}

Value mlir::dlc::wrapSmallInt(ImportContext &c, Value x, int32_t dtype) {
  int bits = small::storedBits(dtype);
  bool isSigned = small::isSignedSmallInt(dtype);
  return mapElements(c, x, c.b.getI8Type(),
                     [&](OpBuilder &b, Location l, Value v) {
                       I32 i{b, l};
                       Value w = v;
                       auto t = cast<IntegerType>(v.getType());
                       if (t.getWidth() < 32)
                         w = arith::ExtSIOp::create(b, l, b.getI32Type(), v);
                       else if (t.getWidth() > 32)
                         w = arith::TruncIOp::create(b, l, b.getI32Type(), v);
                       w = isSigned
                               ? arith::ShRSIOp::create(b, l,
                                                        i.shl(w, 32 - bits),
                                                        i.k(32 - bits))
                                     .getResult()
                               : i.andi(w, (1 << bits) - 1);
                       return arith::TruncIOp::create(b, l, b.getI8Type(), w)
                           .getResult();
                     });
}
