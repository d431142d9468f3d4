//===- Col2Im.cpp - ONNX Col2Im (opset 18) --------------------------------===//
//
// Col2Im, the inverse of im2col (torch's fold): input [N, C * prod(B), L]
// holds, for each of the L sliding-block positions, the prod(B) values of a
// block of shape B; overlapping blocks add up in the [N, C, D1, ..., Dk]
// image. Emitted as a gather: each image element sums, over the block
// offsets b (reduction loops), the one column whose block covers it, if
// any: position h = l * stride - pad_begin + b * dilation for an integral
// block index l in range. block_shape must be known when compiling; the
// image shape may also come from the static output shape.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/ops/Kernels.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::dlc;

namespace {

LogicalResult importCol2Im(ImportContext &c) {
  RankedTensorType type = c.resultType(3);
  if (!type)
    return failure();
  Value x = c.input(0);
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t k = type.getRank() - 2;
  if (xt.getRank() != 3 || k < 1 || xt.getDimSize(0) != type.getDimSize(0))
    return c.fail("expects input [N, C * prod(block_shape), L] and an "
                  "image [N, C, D1, ...]");
  auto block = c.constInput(2);
  if (!block)
    return c.fail("block_shape must be a compile-time constant");
  std::vector<int64_t> bs = block->ints();
  if (auto img = c.constInput(1)) {
    std::vector<int64_t> is = img->ints();
    if (int64_t(is.size()) != k ||
        !std::equal(is.begin(), is.end(), type.getShape().begin() + 2))
      return c.fail("image_shape does not match the result's shape");
  }
  // Attribute values are bounded so the block arithmetic cannot overflow.
  const int64_t limit = int64_t(1) << 31;
  auto attr = [&](llvm::StringRef name, int64_t n, int64_t dflt,
                  int64_t lo) -> std::optional<std::vector<int64_t>> {
    std::vector<int64_t> v =
        c.hasAttr(name) ? c.attrInts(name) : std::vector<int64_t>(n, dflt);
    if (int64_t(v.size()) != n ||
        llvm::any_of(v, [&](int64_t e) { return e < lo || e >= limit; }))
      return std::nullopt;
    return v;
  };
  auto strides = attr("strides", k, 1, 1), dil = attr("dilations", k, 1, 1),
       pads = attr("pads", 2 * k, 0, 0);
  if (!strides || !dil || !pads)
    return c.fail("strides and dilations need one value >= 1 per image "
                  "dimension, pads two values >= 0 each");
  if (int64_t(bs.size()) != k ||
      llvm::any_of(bs, [&](int64_t e) { return e < 1 || e >= limit; }))
    return c.fail("block_shape needs one value >= 1 per image dimension");
  int64_t blockSize = 1, blocks = 1;
  SmallVector<int64_t> count(k); // Block positions along each dimension.
  for (int64_t d = 0; d < k; ++d) {
    int64_t span = (*dil)[d] * (bs[d] - 1) + 1;
    int64_t room = type.getDimSize(2 + d) + (*pads)[d] + (*pads)[k + d];
    count[d] = room < span ? 0 : (room - span) / (*strides)[d] + 1;
    if (__builtin_mul_overflow(blockSize, bs[d], &blockSize) ||
        __builtin_mul_overflow(blocks, count[d], &blocks))
      return c.fail("block_shape is too large");
  }
  int64_t channels = type.getDimSize(1);
  int64_t columns;
  if (__builtin_mul_overflow(channels, blockSize, &columns) ||
      columns != xt.getDimSize(1) || blocks != xt.getDimSize(2))
    return c.fail("the input's shape [N, " + Twine(xt.getDimSize(1)) + ", " +
                  Twine(xt.getDimSize(2)) + "] is not [N, C * " +
                  Twine(blockSize) + ", " + Twine(blocks) +
                  "] for these blocks");
  Type elt = type.getElementType();
  if (!isa<FloatType>(elt))
    return c.fail("Col2Im supports floating-point data only");
  Value y = loopNest(
      c, filledTensor(c, type, 0.0), bs,
      [&](OpBuilder &b, Location l, ValueRange accs) -> SmallVector<Value> {
        auto cst = [&](int64_t v) {
          return arith::ConstantIndexOp::create(b, l, v).getResult();
        };
        Value valid, column = cst(0), offset = cst(0);
        for (int64_t d = 0; d < k; ++d) {
          Value h = linalg::IndexOp::create(b, l, 2 + d);
          Value off = linalg::IndexOp::create(b, l, 2 + k + d);
          // t = h + pad_begin - b * dilation = l * stride.
          Value t = arith::SubIOp::create(
              b, l, arith::AddIOp::create(b, l, h, cst((*pads)[d])),
              arith::MulIOp::create(b, l, off, cst((*dil)[d])));
          Value pos = arith::DivSIOp::create(b, l, t, cst((*strides)[d]));
          Value ok = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, t, cst(0)),
              arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::eq,
                  arith::RemSIOp::create(b, l, t, cst((*strides)[d])), cst(0)));
          ok = arith::AndIOp::create(
              b, l, ok,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, pos,
                                    cst(count[d])));
          valid = valid ? arith::AndIOp::create(b, l, valid, ok).getResult() : ok;
          pos = arith::SelectOp::create(b, l, ok, pos, cst(0));
          column = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, column, cst(count[d])), pos);
          offset = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, offset, cst(bs[d])), off);
        }
        Value row = arith::AddIOp::create(
            b, l,
            arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 1),
                                  cst(blockSize)),
            offset);
        Value v = tensor::ExtractOp::create(
            b, l, x, ValueRange{linalg::IndexOp::create(b, l, 0), row, column});
        Value zero = arith::ConstantOp::create(b, l, elt, b.getZeroAttr(elt));
        v = arith::SelectOp::create(b, l, valid, v, zero);
        return {arith::AddFOp::create(b, l, accs[0], v).getResult()};
      })[0];
  c.setOutput(0, y);
  return success();
}

} // namespace

void mlir::dlc::appendCol2ImHandlers(std::vector<OpHandler> &t) {
  t.push_back({"Col2Im", 18, importCol2Im});
}
