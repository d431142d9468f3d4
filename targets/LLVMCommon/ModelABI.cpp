//===- ModelABI.cpp - the versioned model descriptor in LLVM IR -----------===//
//
// Emits the data structures of runtime/include/dlc/model_abi.h as constant
// globals, the `<name>_run` entry that unpacks the pointer arrays and calls
// the bare-pointer `main_graph`, and the `dlc_model_query` accessor. The
// layouts here and in model_abi.h must change together (and bump
// DLC_MODEL_ABI_VERSION).
//
//===----------------------------------------------------------------------===//
#include "targets/LLVMCommon/Emit.h"

#include "runtime/include/dlc/model_abi.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace mlir;
using namespace mlir::dlc;

static constexpr uint32_t kABIVersion = DLC_MODEL_ABI_VERSION;
static constexpr const char *kProducer = "dlc 0.1";

namespace {
struct ABIBuilder {
  llvm::Module &m;
  llvm::LLVMContext &ctx;
  llvm::Type *i32, *i64, *ptr;
  llvm::StructType *tensorTy, *modelTy, *kernelTy;

  explicit ABIBuilder(llvm::Module &m) : m(m), ctx(m.getContext()) {
    i32 = llvm::Type::getInt32Ty(ctx);
    i64 = llvm::Type::getInt64Ty(ctx);
    ptr = llvm::PointerType::getUnqual(ctx);
    // dlc_tensor_desc_t {name, dtype, rank, shape, size_bytes}
    tensorTy = llvm::StructType::create(ctx, {ptr, i32, i32, ptr, i64},
                                        "dlc_tensor_desc_t");
    // dlc_model_desc_t {abi_version, num_inputs, num_outputs, reserved,
    //   inputs, outputs, workspace_size, workspace_align, run, name, producer,
    //   num_kernels, reserved2, kernels}
    modelTy = llvm::StructType::create(
        ctx, {i32, i32, i32, i32, ptr, ptr, i64, i64, ptr, ptr, ptr, i32, i32,
              ptr},
        "dlc_model_desc_t");
    // dlc_kernel_desc_t {name, flops}
    kernelTy = llvm::StructType::create(ctx, {ptr, i64}, "dlc_kernel_desc_t");
  }

  llvm::Constant *constGlobal(llvm::Constant *init, const llvm::Twine &name) {
    auto *g = new llvm::GlobalVariable(m, init->getType(), /*isConstant=*/true,
                                       llvm::GlobalValue::PrivateLinkage, init,
                                       name);
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    return g;
  }

  llvm::Constant *string(llvm::StringRef s, const llvm::Twine &name) {
    return constGlobal(llvm::ConstantDataArray::getString(ctx, s), name);
  }

  llvm::Constant *tensors(const std::vector<TensorSignature> &list,
                          llvm::StringRef kind) {
    std::vector<llvm::Constant *> elems;
    for (size_t i = 0; i < list.size(); ++i) {
      const TensorSignature &t = list[i];
      std::string base = ("dlc." + kind + "." + llvm::Twine(i)).str();
      std::vector<uint64_t> dims(t.shape.begin(), t.shape.end());
      llvm::Constant *shape =
          dims.empty() ? llvm::ConstantPointerNull::get(
                             llvm::PointerType::getUnqual(ctx))
                       : constGlobal(llvm::ConstantDataArray::get(ctx, dims),
                                     base + ".shape");
      elems.push_back(llvm::ConstantStruct::get(
          tensorTy, {string(t.name, base + ".name"),
                     llvm::ConstantInt::get(i32, t.dtype),
                     llvm::ConstantInt::get(i32, t.shape.size()), shape,
                     llvm::ConstantInt::get(i64, t.sizeBytes)}));
    }
    if (elems.empty())
      return llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(ctx));
    auto *arrTy = llvm::ArrayType::get(tensorTy, elems.size());
    return constGlobal(llvm::ConstantArray::get(arrTy, elems),
                       "dlc." + kind);
  }

  llvm::Constant *kernelTable(const std::vector<KernelInfo> &kernels) {
    std::vector<llvm::Constant *> elems;
    for (size_t i = 0; i < kernels.size(); ++i)
      elems.push_back(llvm::ConstantStruct::get(
          kernelTy, {string(kernels[i].name, "dlc.kernel." + llvm::Twine(i)),
                     llvm::ConstantInt::get(i64, kernels[i].flops)}));
    if (elems.empty())
      return llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(ctx));
    return constGlobal(
        llvm::ConstantArray::get(llvm::ArrayType::get(kernelTy, elems.size()),
                                 elems),
        "dlc.kernels");
  }
  /// int32_t <name>_run(const dlc_exec_env_t *env, const void *const *in,
  ///                    void *const *out, void *ws)
  llvm::Function *runEntry(const ModelSignature &sig) {
    llvm::Function *mainFn = m.getFunction(kEntryName);
    auto *fnTy = llvm::FunctionType::get(i32, {ptr, ptr, ptr, ptr}, false);
    auto *fn = llvm::Function::Create(fnTy, llvm::GlobalValue::ExternalLinkage,
                                      sig.name + "_run", m);
    fn->setDoesNotThrow();
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
    std::vector<llvm::Value *> args;
    auto load = [&](llvm::Value *base, size_t i) {
      llvm::Value *slot = b.CreateConstInBoundsGEP1_64(ptr, base, i);
      return b.CreateLoad(ptr, slot);
    };
    args.push_back(fn->getArg(0)); // lowerKernelCalls added it.
    for (size_t i = 0; i < sig.inputs.size(); ++i)
      args.push_back(load(fn->getArg(1), i));
    for (size_t i = 0; i < sig.outputs.size(); ++i)
      args.push_back(load(fn->getArg(2), i));
    args.push_back(fn->getArg(3));
    b.CreateCall(mainFn->getFunctionType(), mainFn, args);
    b.CreateRet(llvm::ConstantInt::get(i32, 0));
    return fn;
  }
};
} // namespace

void mlir::dlc::emitModelABI(llvm::Module &module,
                             const ModelSignature &signature,
                             bool exportQuery,
                             const std::vector<KernelInfo> &kernels) {
  ABIBuilder ab(module);
  llvm::Function *run = ab.runEntry(signature);

  llvm::Constant *desc = ab.constGlobal(
      llvm::ConstantStruct::get(
          ab.modelTy,
          {llvm::ConstantInt::get(ab.i32, kABIVersion),
           llvm::ConstantInt::get(ab.i32, signature.inputs.size()),
           llvm::ConstantInt::get(ab.i32, signature.outputs.size()),
           llvm::ConstantInt::get(ab.i32, 0),
           ab.tensors(signature.inputs, "inputs"),
           ab.tensors(signature.outputs, "outputs"),
           llvm::ConstantInt::get(ab.i64, signature.workspaceSize),
           llvm::ConstantInt::get(ab.i64, signature.workspaceAlign), run,
           ab.string(signature.name, "dlc.model_name"),
           ab.string(kProducer, "dlc.producer"),
           llvm::ConstantInt::get(ab.i32, kernels.size()),
           llvm::ConstantInt::get(ab.i32, 0), ab.kernelTable(kernels)}),
      "dlc.model_desc");

  // const dlc_model_desc_t *<query>(uint32_t abi_version)
  std::string queryName =
      exportQuery ? "dlc_model_query" : signature.name + "_query";
  auto *qTy = llvm::FunctionType::get(ab.ptr, {ab.i32}, false);
  auto *query = llvm::Function::Create(
      qTy, llvm::GlobalValue::ExternalLinkage, queryName, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ab.ctx, "entry", query));
  llvm::Value *ok = b.CreateICmpEQ(
      query->getArg(0), llvm::ConstantInt::get(ab.i32, kABIVersion));
  b.CreateRet(b.CreateSelect(
      ok, desc,
      llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(ab.ctx))));

  // Only the query (and, for firmware objects, <name>_run) stay visible.
  for (llvm::Function &fn : module) {
    if (fn.isDeclaration() || &fn == query)
      continue;
    if (&fn == run && !exportQuery)
      continue;
    fn.setLinkage(llvm::GlobalValue::InternalLinkage);
  }
  for (llvm::GlobalVariable &g : module.globals())
    if (!g.isDeclaration())
      g.setLinkage(llvm::GlobalValue::InternalLinkage);
}
