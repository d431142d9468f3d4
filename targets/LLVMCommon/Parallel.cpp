//===- Parallel.cpp - parallel kernels through the run's env --------------===//
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

} // namespace

void mlir::dlc::lowerParallelKernels(llvm::Module &m) {
  llvm::Function *entry = m.getFunction(kEntryName);
  if (!entry)
    return;
  entry = addEnvParameter(entry);
  llvm::Value *env = entry->getArg(0);
  std::vector<llvm::CallInst *> calls;
  for (llvm::BasicBlock &bb : *entry)
    for (llvm::Instruction &inst : bb)
      if (auto *call = llvm::dyn_cast<llvm::CallInst>(&inst))
        if (llvm::Function *callee = call->getCalledFunction();
            callee && callee->hasFnAttribute("dlc-parallel"))
          calls.push_back(call);
  if (calls.empty())
    return;
  // From here on, kernels keep no marker whether or not they were rewritten.
  llvm::Function *helper = parallelForHelper(m);
  llvm::LLVMContext &ctx = m.getContext();
  std::map<llvm::Function *, llvm::Function *> tasks;
  for (llvm::CallInst *call : calls) {
    llvm::Function *kernel = call->getCalledFunction();
    unsigned n = call->arg_size();
    auto *lo = llvm::dyn_cast<llvm::ConstantInt>(call->getArgOperand(n - 2));
    if (!lo || !lo->isZero())
      continue; // Not a whole range: leave the direct call.
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
    llvm::IRBuilder<> b(call);
    b.CreateLifetimeStart(closure);
    for (unsigned i = 0; i + 2 < n; ++i)
      b.CreateStore(call->getArgOperand(i),
                    b.CreateStructGEP(closureTy, closure, i));
    b.CreateCall(helper, {env, call->getArgOperand(n - 1), task, closure});
    b.CreateLifetimeEnd(closure);
    call->eraseFromParent();
  }
  for (llvm::Function &fn : m)
    fn.removeFnAttr("dlc-parallel");
}
