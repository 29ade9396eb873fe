// Single-pass optimizer steps for nag_lib.optim (see nag_lib/fused.py, which builds and loads
// this file through torch.utils.cpp_extension and states the contract).
//
// Each step reads every parameter element and its state once and writes them once, in one
// parallel loop over all the group's tensors. The arithmetic is torch's single-tensor loop
// (torch/optim/sgd.py, adam.py, nadam.py), operation for operation, with each multiply-add
// placed where torch's own CPU kernels place theirs:
//
//   a.add(b, alpha=s)       -> fma(b, s, a)                 (ATen ufunc add: vec::fmadd)
//   a.mul(s)                -> a * s                         (one rounding)
//   m.lerp(g, w), |w| < 0.5 -> fma(w, g - m, m)              (ATen lerp_vec)
//                 otherwise -> fma(w - 1, g - m, g)
//   a.addcmul(b, c, value=s)-> fma(s * b, c, a)
//   a.addcdiv(b, c, value=s)-> a + (s * b) / c               (three roundings)
//
// (torch's source writes the last two as a + s * b * c and a + s * b / c; its compiler fused
// the first. Which roundings torch's shipped kernels make was read off their results: the tests
// compare every bit.)
//
// The file is compiled with -ffp-contract=off, so the compiler adds no multiply-add of its own:
// the only fused operations are the std::fma calls written here. That is what makes the results
// bit-identical to torch's loop path (the tests compare every bit, float32 and float64).
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <c10/util/ArrayRef.h>
#include <torch/library.h>

#include <algorithm>
#include <initializer_list>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace {

// Elements per work item (1 MB of float32): large enough that a thread streams through memory
// (measured against 2**14 and 2**16: 4-5 % faster on a 10 M-parameter NAG step), small enough
// that a large tensor is shared among the threads.
constexpr int64_t kItem = int64_t{1} << 18;

struct Item {
  int64_t tensor;
  int64_t begin;
  int64_t end;
};

// Cut every tensor into items of at most kItem elements, in order.
std::vector<Item> work_items(c10::ArrayRef<at::Tensor> params) {
  std::vector<Item> items;
  for (int64_t t = 0; t < static_cast<int64_t>(params.size()); ++t) {
    const int64_t n = params[t].numel();
    for (int64_t b = 0; b < n; b += kItem) items.push_back({t, b, std::min(n, b + kItem)});
  }
  return items;
}

// Run body(tensor, begin, end) over every item, the items shared among torch's threads
// (at::parallel_for follows torch.set_num_threads). Elementwise work: the result does not
// depend on how the items are shared.
template <typename Body>
void for_items(const std::vector<Item>& items, const Body& body) {
  at::parallel_for(0, static_cast<int64_t>(items.size()), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; ++k) body(items[k].tensor, items[k].begin, items[k].end);
  });
}

template <typename T>
T* ptr(const at::Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

// Whether every tensor can go through the loops below: `tensors` is `lists` lists of equal
// length laid end to end (parameters, gradients, state buffers ...); each tensor must be a
// dense, contiguous, real CPU tensor of the first one's dtype (float32 or float64) with as many
// elements as the parameter it goes with. Checked here rather than in Python: a Python loop
// over 300 tensors costs about 0.3 ms, 6 % of a 10 M-parameter step.
bool supported(at::TensorList tensors, int64_t lists) {
  const int64_t total = static_cast<int64_t>(tensors.size());
  if (lists < 1 || total == 0 || total % lists != 0) return false;
  const int64_t n = total / lists;
  const auto dtype = tensors[0].scalar_type();
  if (dtype != at::kFloat && dtype != at::kDouble) return false;
  for (int64_t k = 0; k < total; ++k) {
    const at::Tensor& t = tensors[k];
    if (!t.defined() || t.scalar_type() != dtype || !t.device().is_cpu() ||
        t.layout() != at::kStrided || !t.is_contiguous() || t.is_neg() || t.is_conj() ||
        t.numel() != tensors[k % n].numel()) {
      return false;
    }
  }
  return true;
}

// The steps refuse (RuntimeError) what `supported` refuses, and lists of unequal length:
// nag_lib.optim checks first and takes the tensor operations instead, so this only guards
// direct calls against reading past the end of a list or a tensor.
void check(std::initializer_list<at::TensorList> lists,
           std::initializer_list<c10::ArrayRef<double>> scalars = {}) {
  std::vector<at::Tensor> all;
  const size_t n = lists.begin()->size();
  int64_t used = 0;
  for (const auto& l : lists) {
    if (l.empty()) continue;  // an absent optional list (no momentum, no AMSGrad)
    TORCH_CHECK(l.size() == n, "nag_lib: every tensor list of a step must be as long as params");
    all.insert(all.end(), l.begin(), l.end());
    ++used;
  }
  for (const auto& s : scalars) {
    TORCH_CHECK(s.size() == n, "nag_lib: a per-tensor scalar list must be as long as params");
  }
  TORCH_CHECK(supported(all, used),
              "nag_lib: the single-pass step takes dense, contiguous CPU float32 or float64 "
              "tensors of one dtype (check nag_lib.fused.supports first)");
}

// ---------------------------------------------------------------------------------------------
// The loops. Each runs over elements [b, e) of one tensor, with every option a template
// argument: the loop has no branch, and GCC vectorises it (checked with -fopt-info-vec; the
// same loop written inside the dispatching lambda was not vectorised, and ran 5x slower).
// ---------------------------------------------------------------------------------------------

// SGD: plain, heavy ball (Polyak) and Nesterov, as torch/optim/sgd.py's _single_tensor_sgd.
template <typename T>
struct SgdConstants {
  T neg_lr, mom, keep, wd;
};

template <typename T, bool MAX, bool DECAY, bool MOM, bool FIRST, bool NEST>
void sgd_loop(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ buf, int64_t b,
              int64_t e, const SgdConstants<T> c) {
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i];
    if constexpr (MAX) gi = -gi;
    if constexpr (DECAY) gi = std::fma(p[i], c.wd, gi);  // g.add(p, alpha=wd)
    T d = gi;
    if constexpr (MOM) {
      T bi = gi;  // first step: buf = clone(g)
      if constexpr (!FIRST) bi = std::fma(gi, c.keep, buf[i] * c.mom);  // buf.mul_(mom).add_(g, alpha=1 - damp)
      buf[i] = bi;
      d = bi;
      if constexpr (NEST) d = std::fma(bi, c.mom, gi);  // g.add(buf, alpha=mom)
    }
    p[i] = std::fma(d, c.neg_lr, p[i]);  // p.add_(d, alpha=-lr)
  }
}

// lerp(m, g, w) as ATen's vectorised CPU kernel computes it.
template <bool SMALL, typename T>
inline T lerp(T m, T g, T w, T w_minus_1) {
  const T diff = g - m;
  if constexpr (SMALL) {
    return std::fma(w, diff, m);
  } else {
    return std::fma(w_minus_1, diff, g);
  }
}

// What Adam and NAdam share: the moments' constants and the weight decay.
template <typename T>
struct MomentConstants {
  T w, w_minus_1, b2, one_minus_b2, eps, wd, shrink;
};

// What Adam and NAdam do first, element i: the gradient (negated to maximize, plus weight
// decay: L2 into the gradient or decoupled onto the parameter), then both moments, written
// back. Returns the decayed parameter, the gradient and the new moments.
template <typename T, bool MAX, bool L2, bool DECOUPLED, bool SMALL>
inline void moments(const T* __restrict__ p, const T* __restrict__ g, T* __restrict__ m,
                    T* __restrict__ v, int64_t i, const MomentConstants<T>& c, T& pi, T& gi,
                    T& mi, T& vi) {
  gi = g[i];
  if constexpr (MAX) gi = -gi;
  pi = p[i];
  if constexpr (DECOUPLED) pi = pi * c.shrink;    // p.mul_(1 - lr * wd)
  if constexpr (L2) gi = std::fma(pi, c.wd, gi);  // g.add(p, alpha=wd)
  mi = lerp<SMALL>(m[i], gi, c.w, c.w_minus_1);   // m.lerp_(g, 1 - b1)
  m[i] = mi;
  vi = std::fma(c.one_minus_b2 * gi, gi, v[i] * c.b2);  // v.mul_(b2).addcmul_(g, g, 1 - b2)
  v[i] = vi;
}

// Adam, AMSGrad and AdamW, as torch/optim/adam.py's _single_tensor_adam.
template <typename T, bool MAX, bool L2, bool DECOUPLED, bool AMS, bool SMALL>
void adam_loop(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ m,
               T* __restrict__ v, T* __restrict__ vmax, int64_t b, int64_t e,
               const MomentConstants<T> c, const T neg_step, const T bc2_sqrt) {
  for (int64_t i = b; i < e; ++i) {
    T pi, gi, mi, vi;
    moments<T, MAX, L2, DECOUPLED, SMALL>(p, g, m, v, i, c, pi, gi, mi, vi);
    if constexpr (AMS) {
      vi = vmax[i] < vi ? vi : vmax[i];  // torch.maximum(vmax, v, out=vmax)
      vmax[i] = vi;
    }
    const T denom = std::sqrt(vi) / bc2_sqrt + c.eps;  // (v.sqrt() / bc2_sqrt).add_(eps)
    p[i] = pi + (neg_step * mi) / denom;               // p.addcdiv_(m, denom, value=-step)
  }
}

// NAdam, as torch/optim/nadam.py's _single_tensor_nadam.
template <typename T, bool MAX, bool L2, bool DECOUPLED, bool SMALL>
void nadam_loop(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ m,
                T* __restrict__ v, int64_t b, int64_t e, const MomentConstants<T> c,
                const T bc2, const T grad_coef, const T avg_coef) {
  for (int64_t i = b; i < e; ++i) {
    T pi, gi, mi, vi;
    moments<T, MAX, L2, DECOUPLED, SMALL>(p, g, m, v, i, c, pi, gi, mi, vi);
    const T denom = std::sqrt(vi / bc2) + c.eps;  // v.div(1 - b2^t).sqrt().add_(eps)
    pi = pi + (grad_coef * gi) / denom;           // p.addcdiv_(g, denom, value=grad_coef)
    p[i] = pi + (avg_coef * mi) / denom;          // p.addcdiv_(m, denom, value=avg_coef)
  }
}

// ---------------------------------------------------------------------------------------------
// Dispatch: each runtime option becomes a template argument, and the group's tensors are
// cut into work items shared among torch's threads.
// ---------------------------------------------------------------------------------------------

// Call body(std::true_type or std::false_type, ...) for the runtime flags given.
template <typename Body>
void with_flags(const Body& body) {
  body();
}
template <typename Body, typename... Rest>
void with_flags(const Body& body, bool flag, Rest... rest) {
  if (flag) {
    with_flags([&](auto... fs) { body(std::true_type{}, fs...); }, rest...);
  } else {
    with_flags([&](auto... fs) { body(std::false_type{}, fs...); }, rest...);
  }
}

// Call body(T{}) with T the C++ type of the tensors' dtype.
template <typename Body>
void with_dtype(const at::Tensor& t, const Body& body) {
  if (t.scalar_type() == at::kFloat) {
    body(float{});
  } else {
    body(double{});
  }
}

template <typename T>
MomentConstants<T> moment_constants(double beta1, double beta2, double eps, double weight_decay,
                                    double shrink) {
  const T w = static_cast<T>(1.0 - beta1);
  return {w,
          w - T(1),
          static_cast<T>(beta2),
          static_cast<T>(1.0 - beta2),
          static_cast<T>(eps),
          static_cast<T>(weight_decay),
          static_cast<T>(shrink)};
}

void sgd_step(at::TensorList params, at::TensorList grads, at::TensorList bufs, double lr,
              double momentum, double dampening, double weight_decay, bool nesterov,
              bool maximize, bool first) {
  if (params.empty()) return;
  const bool has_mom = momentum != 0.0;
  TORCH_CHECK(has_mom || bufs.empty(), "nag_lib: bufs must be empty without momentum");
  TORCH_CHECK(!has_mom || !bufs.empty(), "nag_lib: momentum needs bufs");
  check({params, grads, bufs});
  const auto items = work_items(params);
  with_dtype(params[0], [&](auto zero) {
    using T = decltype(zero);
    const SgdConstants<T> c{static_cast<T>(-lr), static_cast<T>(momentum),
                            static_cast<T>(1.0 - dampening), static_cast<T>(weight_decay)};
    with_flags(
        [&](auto MAX, auto DECAY, auto MOM, auto FIRST, auto NEST) {
          for_items(items, [&](int64_t t, int64_t b, int64_t e) {
            T* buf = has_mom ? ptr<T>(bufs[t]) : nullptr;
            sgd_loop<T, MAX, DECAY, MOM, FIRST, NEST>(ptr<T>(params[t]), ptr<T>(grads[t]), buf,
                                                      b, e, c);
          });
        },
        maximize, weight_decay != 0.0, has_mom, first, nesterov);
  });
}

// The bias corrections depend on each tensor's step count, so they come in per tensor
// (computed in Python, in double precision, exactly as torch computes them); so does
// shrink = 1 - lr * weight_decay, which torch computes in the learning rate's own type.
void adam_step(at::TensorList params, at::TensorList grads, at::TensorList exp_avgs,
               at::TensorList exp_avg_sqs, at::TensorList max_exp_avg_sqs,
               c10::ArrayRef<double> step_sizes, c10::ArrayRef<double> bc2_sqrts, double shrink,
               double beta1, double beta2, double eps, double weight_decay, bool amsgrad,
               bool maximize, bool decoupled) {
  if (params.empty()) return;
  TORCH_CHECK(amsgrad != max_exp_avg_sqs.empty(), "nag_lib: max_exp_avg_sqs iff amsgrad");
  check({params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs}, {step_sizes, bc2_sqrts});
  const auto items = work_items(params);
  const bool decay = weight_decay != 0.0;
  with_dtype(params[0], [&](auto zero) {
    using T = decltype(zero);
    const auto c = moment_constants<T>(beta1, beta2, eps, weight_decay, shrink);
    with_flags(
        [&](auto MAX, auto L2, auto DECOUPLED, auto AMS, auto SMALL) {
          for_items(items, [&](int64_t t, int64_t b, int64_t e) {
            T* vmax = amsgrad ? ptr<T>(max_exp_avg_sqs[t]) : nullptr;
            adam_loop<T, MAX, L2, DECOUPLED, AMS, SMALL>(
                ptr<T>(params[t]), ptr<T>(grads[t]), ptr<T>(exp_avgs[t]),
                ptr<T>(exp_avg_sqs[t]), vmax, b, e, c, static_cast<T>(-step_sizes[t]),
                static_cast<T>(bc2_sqrts[t]));
          });
        },
        maximize, decay && !decoupled, decay && decoupled, amsgrad, std::abs(c.w) < T(0.5));
  });
}

// Per tensor: 1 - beta2^t and the two step coefficients, -lr (1 - mu_t) / (1 - prod mu) for
// the gradient and -lr mu_{t+1} / (1 - prod mu mu_{t+1}) for the first moment.
void nadam_step(at::TensorList params, at::TensorList grads, at::TensorList exp_avgs,
                at::TensorList exp_avg_sqs, c10::ArrayRef<double> bias_corrections2,
                c10::ArrayRef<double> grad_coefs, c10::ArrayRef<double> avg_coefs,
                double shrink, double beta1, double beta2, double eps, double weight_decay,
                bool maximize, bool decoupled) {
  if (params.empty()) return;
  check({params, grads, exp_avgs, exp_avg_sqs}, {bias_corrections2, grad_coefs, avg_coefs});
  const auto items = work_items(params);
  const bool decay = weight_decay != 0.0;
  with_dtype(params[0], [&](auto zero) {
    using T = decltype(zero);
    const auto c = moment_constants<T>(beta1, beta2, eps, weight_decay, shrink);
    with_flags(
        [&](auto MAX, auto L2, auto DECOUPLED, auto SMALL) {
          for_items(items, [&](int64_t t, int64_t b, int64_t e) {
            nadam_loop<T, MAX, L2, DECOUPLED, SMALL>(
                ptr<T>(params[t]), ptr<T>(grads[t]), ptr<T>(exp_avgs[t]),
                ptr<T>(exp_avg_sqs[t]), b, e, c, static_cast<T>(bias_corrections2[t]),
                static_cast<T>(grad_coefs[t]), static_cast<T>(avg_coefs[t]));
          });
        },
        maximize, decay && !decoupled, decay && decoupled, std::abs(c.w) < T(0.5));
  });
}

// step += 1 for every one-element float32 or float64 tensor in `steps`, as torch's
// `step_t += 1` computes it. One call for all of them: torch._foreach_add_ on 100 such tensors
// took 0.24 ms on the 2-core machine, 3 % of a 10 M-parameter Adam step.
void increment_steps(at::TensorList steps) {
  for (const auto& t : steps) {
    TORCH_CHECK(t.numel() == 1 && t.device().is_cpu() &&
                    (t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble),
                "nag_lib: a step count must be a one-element CPU float32 or float64 tensor");
  }
  for (const auto& t : steps) {
    if (t.scalar_type() == at::kFloat) {
      *static_cast<float*>(t.data_ptr()) += 1.0f;
    } else {
      *static_cast<double*>(t.data_ptr()) += 1.0;
    }
  }
}

}  // namespace

// The schemas, with the tensors each step writes marked (a!): tools that follow the dispatcher
// (torch's dispatch modes, nag_lib.cost's write counter) see what a step writes. The steps are
// CPU kernels; `supported` answers for any tensors.
TORCH_LIBRARY(nag_lib, m) {
  m.def("supported(Tensor[] tensors, int lists) -> bool", &supported);
  m.def("increment_steps(Tensor(a!)[] steps) -> ()");
  m.def(
      "sgd_step(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] bufs, float lr, "
      "float momentum, float dampening, float weight_decay, bool nesterov, bool maximize, "
      "bool first) -> ()");
  m.def(
      "adam_step(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] exp_avgs, "
      "Tensor(c!)[] exp_avg_sqs, Tensor(d!)[] max_exp_avg_sqs, float[] step_sizes, "
      "float[] bc2_sqrts, float shrink, float beta1, float beta2, float eps, "
      "float weight_decay, bool amsgrad, bool maximize, bool decoupled) -> ()");
  m.def(
      "nadam_step(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] exp_avgs, "
      "Tensor(c!)[] exp_avg_sqs, float[] bias_corrections2, float[] grad_coefs, "
      "float[] avg_coefs, float shrink, float beta1, float beta2, float eps, "
      "float weight_decay, bool maximize, bool decoupled) -> ()");
}

TORCH_LIBRARY_IMPL(nag_lib, CPU, m) {
  m.impl("sgd_step", &sgd_step);
  m.impl("adam_step", &adam_step);
  m.impl("nadam_step", &nadam_step);
  m.impl("increment_steps", &increment_steps);
}
