//===- Parallel.cpp - kernel calls through the run's env -----------------===//
//
// ABI v2 passes `const dlc_exec_env_t *env` to the run entry. Here the entry
// function (`main_graph`) gains that pointer as its first parameter, and every
// call to a kernel marked "dlc-parallel" (dlc-outline-kernels: a loop of
// independent tiles whose range [lo, hi) is the kernel's last two
// parameters) becomes
//
//   closure = {the other arguments}
//   dlc.parallel_for(env, hi, <kernel>.task, &closure)
//
// where <kernel>.task(closure, begin, end) unpacks the closure and calls the
// kernel on [begin, end), and dlc.parallel_for calls env->parallel_for, or the
// task on the whole range when env or its parallel_for is NULL (firmware).
// Every kernel call (marked "dlc-kernel" with its description and arithmetic
// count) is bracketed by dlc.kernel_event(env, index, 0/1), which calls
// env->kernel_event when a profiler is attached; the kernels become the
// descriptor's kernel table.
// Done on LLVM IR because closures and indirect calls through a C struct are
// plain LLVM; the MLIR side only marks what may run in parallel.
//
//===----------------------------------------------------------------------===//
#include "targets/LLVMCommon/Emit.h"

#include "targets/ModelSignature.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

#include <map>

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// void dlc.parallel_for(const dlc_exec_env_t *env, i64 n, task, closure)
llvm::Function *parallelForHelper(llvm::Module &m) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *voidTy = llvm::Type::getVoidTy(ctx);
  auto *taskTy = llvm::FunctionType::get(voidTy, {ptr, i64, i64}, false);
  auto *pfTy = llvm::FunctionType::get(voidTy, {ptr, i64, ptr, ptr}, false);
  auto *fn = llvm::Function::Create(
      llvm::FunctionType::get(voidTy, {ptr, i64, ptr, ptr}, false),
      llvm::GlobalValue::InternalLinkage, "dlc.parallel_for", m);
  fn->addFnAttr(llvm::Attribute::NoInline);
  llvm::Value *env = fn->getArg(0), *n = fn->getArg(1), *task = fn->getArg(2),
              *closure = fn->getArg(3);
  auto *entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  auto *haveEnv = llvm::BasicBlock::Create(ctx, "env", fn);
  auto *pool = llvm::BasicBlock::Create(ctx, "pool", fn);
  auto *serial = llvm::BasicBlock::Create(ctx, "serial", fn);
  llvm::IRBuilder<> b(entry);
  b.CreateCondBr(b.CreateIsNull(env), serial, haveEnv);
  b.SetInsertPoint(haveEnv);
  // dlc_exec_env_t {parallel_for, pool}
  llvm::Value *pf = b.CreateLoad(ptr, env);
  b.CreateCondBr(b.CreateIsNull(pf), serial, pool);
  b.SetInsertPoint(pool);
  llvm::Value *poolPtr =
      b.CreateLoad(ptr, b.CreateConstInBoundsGEP1_64(ptr, env, 1));
  b.CreateCall(pfTy, pf, {poolPtr, n, task, closure});
  b.CreateRetVoid();
  b.SetInsertPoint(serial);
  b.CreateCall(taskTy, task, {closure, llvm::ConstantInt::get(i64, 0), n});
  b.CreateRetVoid();
  return fn;
}

/// The entry function with `ptr env` prepended to its parameters.
llvm::Function *addEnvParameter(llvm::Function *old) {
  llvm::LLVMContext &ctx = old->getContext();
  std::vector<llvm::Type *> params{llvm::PointerType::getUnqual(ctx)};
  for (llvm::Type *t : old->getFunctionType()->params())
    params.push_back(t);
  auto *fn = llvm::Function::Create(
      llvm::FunctionType::get(old->getReturnType(), params, false),
      old->getLinkage(), "", old->getParent());
  fn->copyAttributesFrom(old);
  fn->splice(fn->begin(), old);
  for (unsigned i = 0; i < old->arg_size(); ++i)
    old->getArg(i)->replaceAllUsesWith(fn->getArg(i + 1));
  fn->takeName(old);
  old->eraseFromParent();
  return fn;
}

/// <kernel>.task(ptr closure, i64 begin, i64 end)
llvm::Function *taskFor(llvm::Function *kernel, llvm::StructType *closureTy) {
  llvm::Module &m = *kernel->getParent();
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *fn = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, i64, i64},
                              false),
      llvm::GlobalValue::InternalLinkage, kernel->getName() + ".task", m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  std::vector<llvm::Value *> args;
  for (unsigned i = 0; i < closureTy->getNumElements(); ++i)
    args.push_back(b.CreateLoad(closureTy->getElementType(i),
                                b.CreateStructGEP(closureTy, fn->getArg(0), i)));
  args.push_back(fn->getArg(1));
  args.push_back(fn->getArg(2));
  b.CreateCall(kernel->getFunctionType(), kernel, args);
  b.CreateRetVoid();
  return fn;
}

/// void dlc.kernel_event(const dlc_exec_env_t *env, i32 kernel, i32 end):
/// env->kernel_event(env->profiler, kernel, end) when both are set.
llvm::Function *kernelEventHelper(llvm::Module &m) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *voidTy = llvm::Type::getVoidTy(ctx);
  auto *eventTy = llvm::FunctionType::get(voidTy, {ptr, i32, i32}, false);
  auto *fn = llvm::Function::Create(eventTy, llvm::GlobalValue::InternalLinkage,
                                    "dlc.kernel_event", m);
  fn->addFnAttr(llvm::Attribute::NoInline);
  auto *entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  auto *haveEnv = llvm::BasicBlock::Create(ctx, "env", fn);
  auto *call = llvm::BasicBlock::Create(ctx, "call", fn);
  auto *done = llvm::BasicBlock::Create(ctx, "done", fn);
  llvm::IRBuilder<> b(entry);
  llvm::Value *env = fn->getArg(0);
  b.CreateCondBr(b.CreateIsNull(env), done, haveEnv);
  b.SetInsertPoint(haveEnv);
  // dlc_exec_env_t {parallel_for, pool, kernel_event, profiler}
  llvm::Value *event =
      b.CreateLoad(ptr, b.CreateConstInBoundsGEP1_64(ptr, env, 2));
  b.CreateCondBr(b.CreateIsNull(event), done, call);
  b.SetInsertPoint(call);
  llvm::Value *profiler =
      b.CreateLoad(ptr, b.CreateConstInBoundsGEP1_64(ptr, env, 3));
  b.CreateCall(eventTy, event, {profiler, fn->getArg(1), fn->getArg(2)});
  b.CreateRetVoid();
  b.SetInsertPoint(done);
  b.CreateRetVoid();
  return fn;
}

} // namespace

std::vector<KernelInfo> mlir::dlc::lowerKernelCalls(llvm::Module &m) {
  std::vector<KernelInfo> kernels;
  llvm::Function *entry = m.getFunction(kEntryName);
  if (!entry)
    return kernels;
  entry = addEnvParameter(entry);
  llvm::Value *env = entry->getArg(0);
  std::vector<llvm::CallInst *> calls;
  for (llvm::BasicBlock &bb : *entry)
    for (llvm::Instruction &inst : bb)
      if (auto *call = llvm::dyn_cast<llvm::CallInst>(&inst))
        if (llvm::Function *callee = call->getCalledFunction();
            callee && callee->hasFnAttribute("dlc-kernel"))
          calls.push_back(call);
  llvm::LLVMContext &ctx = m.getContext();
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  llvm::Function *parallelFor = nullptr, *event = nullptr;
  std::map<llvm::Function *, llvm::Function *> tasks;
  for (llvm::CallInst *call : calls) {
    llvm::Function *kernel = call->getCalledFunction();
    KernelInfo info;
    info.name = kernel->getFnAttribute("dlc-kernel").getValueAsString().str();
    kernel->getFnAttribute("dlc-flops").getValueAsString().getAsInteger(
        10, info.flops);
    uint32_t id = kernels.size();
    kernels.push_back(info);
    if (!event)
      event = kernelEventHelper(m);
    llvm::IRBuilder<> b(call);
    b.CreateCall(event, {env, llvm::ConstantInt::get(i32, id),
                         llvm::ConstantInt::get(i32, 0)});
    b.SetInsertPoint(call->getNextNode());
    b.CreateCall(event, {env, llvm::ConstantInt::get(i32, id),
                         llvm::ConstantInt::get(i32, 1)});
    if (!kernel->hasFnAttribute("dlc-parallel"))
      continue;
    unsigned n = call->arg_size();
    auto *lo = llvm::dyn_cast<llvm::ConstantInt>(call->getArgOperand(n - 2));
    if (!lo || !lo->isZero())
      continue; // Not a whole range: leave the direct call.
    if (!parallelFor)
      parallelFor = parallelForHelper(m);
    std::vector<llvm::Type *> fields;
    for (unsigned i = 0; i + 2 < n; ++i)
      fields.push_back(call->getArgOperand(i)->getType());
    auto *closureTy = llvm::StructType::get(ctx, fields);
    llvm::Function *&task = tasks[kernel];
    if (!task)
      task = taskFor(kernel, closureTy);
    // In the entry block (a static frame slot); its first instruction may be
    // a call this loop erases, so the position is taken afresh each time.
    llvm::IRBuilder<> allocas(&*entry->getEntryBlock().getFirstInsertionPt());
    llvm::AllocaInst *closure = allocas.CreateAlloca(closureTy);
    b.SetInsertPoint(call);
    b.CreateLifetimeStart(closure);
    for (unsigned i = 0; i + 2 < n; ++i)
      b.CreateStore(call->getArgOperand(i),
                    b.CreateStructGEP(closureTy, closure, i));
    b.CreateCall(parallelFor, {env, call->getArgOperand(n - 1), task, closure});
    b.CreateLifetimeEnd(closure);
    call->eraseFromParent();
  }
  // The markers were for this function only.
  for (llvm::Function &fn : m)
    for (const char *attr : {"dlc-parallel", "dlc-kernel", "dlc-flops"})
      fn.removeFnAttr(attr);
  return kernels;
}
