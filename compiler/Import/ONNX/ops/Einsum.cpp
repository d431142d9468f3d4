//===- Einsum.cpp - ONNX Einsum as one linalg.generic ---------------------===//
//
// An Einsum equation is exactly a linalg.generic: one loop per letter,
// output letters parallel, the others reductions, each operand indexed by
// its letters (a repeated letter, as in "ii->i", reads a diagonal), and the
// body multiplies the operands and accumulates. Ellipses expand to fresh
// letters for the broadcast dimensions (numpy rules: right-aligned, size-1
// dimensions broadcast). Emitted as linalg at import time because neither
// TOSA nor a dlc op would add anything: linalg.generic is Einsum's IR.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ops/Kernels.h"

#include <algorithm>
#include <cctype>
#include <map>

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Splits "ab,bc->ac" into per-operand letter strings; '.' stands for one
/// ellipsis (expanded later). Returns false on a malformed equation.
bool parseEquation(std::string eq, std::vector<std::string> &ins,
                   std::string &out, bool &explicitOut) {
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  size_t arrow = eq.find("->");
  explicitOut = arrow != std::string::npos;
  std::string lhs = explicitOut ? eq.substr(0, arrow) : eq;
  out = explicitOut ? eq.substr(arrow + 2) : "";
  auto squash = [](std::string s) {
    size_t at;
    while ((at = s.find("...")) != std::string::npos)
      s.replace(at, 3, ".");
    return s;
  };
  size_t start = 0;
  while (true) {
    size_t comma = lhs.find(',', start);
    ins.push_back(squash(lhs.substr(start, comma - start)));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  out = squash(out);
  for (const std::string &s : ins)
    for (char ch : s)
      if (!std::isalpha(static_cast<unsigned char>(ch)) && ch != '.')
        return false;
  return true;
}

LogicalResult importEinsum(ImportContext &c) {
  RankedTensorType type = c.outputType(0);
  if (!type)
    return failure();
  std::vector<std::string> ins;
  std::string out;
  bool explicitOut;
  if (!parseEquation(c.attrString("equation", ""), ins, out, explicitOut) ||
      ins.size() != c.numInputs())
    return c.fail("malformed equation '" + c.attrString("equation", "") + "'");
  // Ellipsis dims: the most any operand covers, right-aligned; named by
  // upper-case-free placeholder codes 0..n-1 (letters are a-zA-Z).
  SmallVector<Value> operands;
  int64_t ellipsisRank = 0;
  for (size_t k = 0; k < ins.size(); ++k) {
    operands.push_back(c.input(k));
    int64_t rank = cast<RankedTensorType>(operands.back().getType()).getRank();
    int64_t named = ins[k].size() - (ins[k].find('.') != std::string::npos);
    if (ins[k].find('.') != std::string::npos)
      ellipsisRank = std::max(ellipsisRank, rank - named);
    else if (named != rank)
      return c.fail("operand " + std::to_string(k) + " has rank " +
                    std::to_string(rank) + ", the equation names " +
                    std::to_string(named) + " dimensions");
  }
  // Loop dimensions: ellipsis dims first (codes 0..), then letters in order
  // of first appearance.
  std::map<char, int64_t> dimOf;
  std::vector<char> letters;
  std::map<char, int64_t> count;
  for (const std::string &s : ins)
    for (char ch : s)
      if (ch != '.' && count[ch]++ == 0)
        letters.push_back(ch);
  int64_t numDims = ellipsisRank;
  for (char ch : letters)
    dimOf[ch] = numDims++;
  if (!explicitOut) {
    // Implicit output: the ellipsis, then letters used once, alphabetically.
    out = ellipsisRank ? "." : "";
    std::vector<char> once;
    for (char ch : letters)
      if (count[ch] == 1)
        once.push_back(ch);
    std::sort(once.begin(), once.end());
    out.append(once.begin(), once.end());
  }
  // Every output letter comes from an input, once; every letter has one
  // size across the operands (only ellipsis dimensions broadcast).
  std::map<char, int64_t> sizeOf;
  for (size_t k = 0; k < ins.size(); ++k) {
    auto t = cast<RankedTensorType>(operands[k].getType());
    int64_t ell = t.getRank() - int64_t(ins[k].size() -
                                        (ins[k].find('.') != std::string::npos));
    int64_t d = 0;
    for (char ch : ins[k]) {
      if (ch == '.') {
        d += ell;
        continue;
      }
      int64_t size = t.getDimSize(d++);
      auto [it, fresh] = sizeOf.insert({ch, size});
      if (!fresh && it->second != size)
        return c.fail(std::string("letter '") + ch + "' has size " +
                      std::to_string(it->second) + " and " +
                      std::to_string(size) + " in different places");
    }
  }
  std::map<char, int> outCount;
  for (char ch : out) {
    if (ch == '.')
      continue;
    if (!dimOf.count(ch))
      return c.fail(std::string("output letter '") + ch +
                    "' does not appear in an input");
    if (++outCount[ch] > 1)
      return c.fail(std::string("output letter '") + ch + "' repeats");
  }
  auto exprsFor = [&](const std::string &s, int64_t rank) {
    SmallVector<AffineExpr> e;
    int64_t ell = rank - int64_t(s.size() - (s.find('.') != std::string::npos));
    for (char ch : s) {
      if (ch == '.') {
        for (int64_t i = 0; i < ell; ++i)
          e.push_back(getAffineDimExpr(ellipsisRank - ell + i, c.ctx));
      } else {
        e.push_back(getAffineDimExpr(dimOf.at(ch), c.ctx));
      }
    }
    return e;
  };
  SmallVector<AffineMap> maps;
  for (size_t k = 0; k < ins.size(); ++k) {
    auto t = cast<RankedTensorType>(operands[k].getType());
    SmallVector<AffineExpr> e = exprsFor(ins[k], t.getRank());
    // Size-1 ellipsis dims broadcast: read index 0 there.
    for (int64_t i = 0; i < t.getRank(); ++i)
      if (auto d = dyn_cast<AffineDimExpr>(e[i]))
        if (t.getDimSize(i) == 1 && d.getPosition() < ellipsisRank &&
            type.getRank() > 0)
          e[i] = getAffineConstantExpr(0, c.ctx);
    maps.push_back(AffineMap::get(numDims, 0, e, c.ctx));
  }
  SmallVector<AffineExpr> outExprs = exprsFor(out, type.getRank());
  if (int64_t(outExprs.size()) != type.getRank())
    return c.fail("the equation's output does not match the output rank");
  maps.push_back(AffineMap::get(numDims, 0, outExprs, c.ctx));
  SmallVector<utils::IteratorType> iters(numDims,
                                         utils::IteratorType::reduction);
  for (AffineExpr e : outExprs)
    iters[cast<AffineDimExpr>(e).getPosition()] = utils::IteratorType::parallel;

  Type elem = type.getElementType();
  Value init = filledTensor(c, type, 0);
  bool isFloat = isa<FloatType>(elem);
  auto op = linalg::GenericOp::create(
      c.b, TypeRange{type}, operands, ValueRange{init}, maps, iters,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value prod = args[0];
        for (size_t k = 1; k < ins.size(); ++k)
          prod = isFloat ? Value(arith::MulFOp::create(b, l, prod, args[k]))
                         : Value(arith::MulIOp::create(b, l, prod, args[k]));
        Value acc = args.back();
        Value sum = isFloat ? Value(arith::AddFOp::create(b, l, acc, prod))
                            : Value(arith::AddIOp::create(b, l, acc, prod));
        linalg::YieldOp::create(b, l, sum);
      });
  c.setOutput(0, op.getResult(0));
  return success();
}

} // namespace

void mlir::dlc::appendEinsumHandlers(std::vector<OpHandler> &t) {
  t.push_back({"Einsum", 12, importEinsum});
}
