//===- Target.cpp - the target registry -----------------------------------===//
//
// Maps `-target=` names to backends. Adding a target means one row here and a
// backend under targets/<Name>/.
//
//===----------------------------------------------------------------------===//
#include "targets/Target.h"

#include "targets/CPU/CPUTarget.h"
#include "targets/ModelSignature.h"

#include "llvm/TargetParser/Host.h"

using namespace mlir;
using namespace mlir::dlc;

std::vector<TargetDesc> mlir::dlc::listTargets() {
  return {
      {"host", llvm::sys::getProcessTriple(), "native", "",
       "the machine dlc runs on (all its CPU features)"},
      {"x86-64", "x86_64-unknown-linux-gnu", "x86-64", "",
       "any x86-64 Linux machine (SSE2 baseline)"},
      {"x86-64-avx512", "x86_64-unknown-linux-gnu", "skylake-avx512",
       "+avx512f,+avx512bw,+avx512vl,+avx512dq,+fma",
       "x86-64 with AVX-512 (Skylake-SP and later)", 512},
      {"x86-64-vnni", "x86_64-unknown-linux-gnu", "cascadelake",
       "+avx512f,+avx512bw,+avx512vl,+avx512dq,+avx512vnni,+fma",
       "x86-64 with AVX-512 and VNNI int8 dot products (Cascade Lake and "
       "later)",
       512},
      {"x86-64-sapphirerapids", "x86_64-unknown-linux-gnu", "sapphirerapids",
       "+avx512f,+avx512bw,+avx512vl,+avx512dq,+avx512vnni,+avx512bf16,"
       "+amx-tile,+amx-int8,+amx-bf16,+fma",
       "x86-64 with AVX-512, VNNI, BF16 and AMX (Sapphire Rapids and later)",
       512},
      {"armv8", "aarch64-unknown-linux-gnu", "generic",
       "+v8a,+fp-armv8,+neon", "64-bit Arm, armv8-a with NEON"},
      {"armv8.2", "aarch64-unknown-linux-gnu", "generic",
       "+v8.2a,+fp-armv8,+neon,+dotprod,+fullfp16",
       "armv8.2-a with NEON, dot product and fp16 arithmetic"},
      {"armv8.6", "aarch64-unknown-linux-gnu", "generic",
       "+v8.6a,+fp-armv8,+neon,+dotprod,+fullfp16,+i8mm,+bf16",
       "armv8.6-a with NEON, dot product, fp16, int8 matmul and bf16"},
  };
}

std::unique_ptr<Target> mlir::dlc::createTarget(llvm::StringRef name,
                                                llvm::StringRef cpu,
                                                llvm::StringRef features,
                                                std::string &error) {
  for (TargetDesc desc : listTargets()) {
    if (desc.name != name)
      continue;
    if (desc.cpu == "native")
      desc.cpu = llvm::sys::getHostCPUName().str();
    if (!cpu.empty())
      desc.cpu = cpu.str();
    if (!features.empty())
      desc.features = desc.features.empty()
                          ? features.str()
                          : desc.features + "," + features.str();
    return createCPUTarget(std::move(desc));
  }
  error = "unknown target '" + name.str() + "' (known:";
  for (const TargetDesc &d : listTargets())
    error += " " + d.name;
  error += ")";
  return nullptr;
}

int64_t mlir::dlc::dtypeSize(int32_t dtype) {
  switch (dtype) {
  case 1: case 6: return 4;         // float, int32
  case 2: case 3: case 9: return 1; // uint8, int8, bool
  case 4: case 5: case 10: case 16: return 2;
  case 7: case 11: case 13: return 8;
  case 12: return 4;
  case 17: case 18: case 19: case 20: case 21: case 22: case 23: case 24:
  case 25: case 26:
    return 1; // float8/float4/int4/int2: one byte per element (model_abi.h).
  default: return 0;
  }
}

ModelSignature mlir::dlc::extractSignature(func::FuncOp entry,
                                           llvm::StringRef name) {
  ModelSignature sig;
  sig.name = name.str();
  auto make = [](Type type, DictionaryAttr attrs) {
    TensorSignature t;
    auto tensor = cast<ShapedType>(type);
    if (auto n = attrs ? attrs.getAs<StringAttr>(kNameAttr) : nullptr)
      t.name = n.getValue().str();
    if (auto d = attrs ? attrs.getAs<IntegerAttr>(kDTypeAttr) : nullptr)
      t.dtype = static_cast<int32_t>(d.getInt());
    t.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
    t.sizeBytes = dtypeSize(t.dtype) * tensor.getNumElements();
    return t;
  };
  for (unsigned i = 0; i < entry.getNumArguments(); ++i)
    sig.inputs.push_back(
        make(entry.getArgument(i).getType(), entry.getArgAttrDict(i)));
  for (unsigned i = 0; i < entry.getNumResults(); ++i)
    sig.outputs.push_back(
        make(entry.getResultTypes()[i], entry.getResultAttrDict(i)));
  return sig;
}
