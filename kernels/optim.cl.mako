## Fused optimizer steps: one launch per parameter does every state update and the parameter
## update in place, with PyTorch's update rules (torch.optim's single-tensor forms).
## Every def takes (name, caps, dt, T, index_t, flags):
##   dt: the clgrad dtype of the parameter, its gradient and its state tensors (all contiguous);
##   T: the compute type (float for half and float, double for double); index_t: int or long;
##   flags: a dict of bools the update is specialised on (maximize, wd, lerp_hi, ...).
## Arguments (declared in STEPS below): n, param, param_off, grad, grad_off, then (ptr, off)
## for each state tensor, then the scalars (type T, computed on the host from Python numbers).
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import flatten, scalar, tensor

# Each update rule's state tensors and scalars, in the order optim_step receives them.
STEPS = {
    "sgd": lambda f: (["buf"] if f["momentum"] else [],
                      ["weight_decay", "momentum", "dampening_c", "lr"]),
    "adam": lambda f: (["m", "v"] + (["vmax"] if f["amsgrad"] else []),
                       ["weight_decay", "decay", "w1", "beta2", "w2", "step_size", "bc2_sqrt",
                        "eps"]),
    "rmsprop": lambda f: (["sq"] + (["buf"] if f["momentum"] else [])
                          + (["ga"] if f["centered"] else []),
                          ["weight_decay", "alpha", "w", "eps", "momentum", "lr"]),
    "adagrad": lambda f: (["acc"], ["weight_decay", "eps", "clr"]),
    "adadelta": lambda f: (["sq", "acc"], ["weight_decay", "rho", "w", "eps", "lr"]),
    "adamax": lambda f: (["m", "u"], ["weight_decay", "w1", "beta2", "eps", "clr"]),
    "nadam": lambda f: (["m", "v"], ["weight_decay", "decay", "w1", "beta2", "w2", "bc2", "eps",
                                     "c_grad", "c_avg"]),
    "radam": lambda f: (["m", "v"], ["weight_decay", "decay", "w1", "beta2", "w2", "bc1", "lr",
                                     "bc2_sqrt", "eps", "rect"]),
}


def _signature(kind):
    def signature(dt, T, index_t, flags, **_):
        states, scalars = STEPS[kind](flags)
        return flatten([scalar(index_t, "n"), tensor(dt.ctype, "param", index_t, const=False),
                        tensor(dt.ctype, "grad", index_t),
                        *[tensor(dt.ctype, s, index_t, const=False) for s in states],
                        scalar(T, *scalars)])
    return signature


SIGNATURES = {kind: _signature(kind) for kind in STEPS}
%>

## The kernel's signature and the loads of p and g (g negated under maximize, L2 decay added).
<%def name="head(name, dt, T, index_t, flags)">\
__kernel void ${name}(${signature})
{
    const ${index_t} gid = get_global_id(0);
    if (gid >= n) return;
    const ${index_t} pi = param_off + gid;
    ${T} p = ${common.load(dt, "param", "pi", T)};
    ${T} g = ${common.load(dt, "grad", "grad_off + gid", T)};
% if flags["maximize"]:
    g = -g;
% endif
% if flags.get("decoupled"):
    p = p * decay;
% elif flags["wd"]:
    g = g + weight_decay * p;
% endif
</%def>

## torch.lerp's two-sided form: start + w * (end - start) for w < 0.5, else
## end - (end - start) * (1 - w). The host picks the side (flags.lerp_hi): a branch in the
## kernel, even a uniform one, stops PoCL from vectorizing the work-items (2x slower).
<%def name="lerp(start, end, w, hi)">\
% if hi:
((${end}) - ((${end}) - (${start})) * (1 - (${w})))\
% else:
((${start}) + (${w}) * ((${end}) - (${start})))\
% endif
</%def>

## sgd: states [buf] when flags.momentum; scalars weight_decay, momentum, dampening_c
## (= 1 - dampening), lr. flags.first: the buffer starts as a copy of the gradient.
<%def name="sgd(name, caps, dt, T, index_t, flags)">\
${head(name, dt, T, index_t, flags)}
% if flags["momentum"]:
% if flags["first"]:
    ${T} b = g;
% else:
    ${T} b = ${common.load(dt, "buf", "buf_off + gid", T)};
    b = b * momentum + dampening_c * g;
% endif
    ${common.store(dt, "buf", "buf_off + gid", "b")}
% if flags["nesterov"]:
    g = g + momentum * b;
% else:
    g = b;
% endif
% endif
    p = p + (-lr) * g;
    ${common.store(dt, "param", "pi", "p")}
}
</%def>

## adam (and AdamW through flags.decoupled): states [exp_avg, exp_avg_sq(, max_exp_avg_sq)];
## scalars weight_decay, decay (= 1 - lr * weight_decay), w1 (= 1 - beta1), beta2, w2
## (= 1 - beta2), step_size (= lr / bias_correction1), bc2_sqrt, eps.
<%def name="adam(name, caps, dt, T, index_t, flags)">\
${head(name, dt, T, index_t, flags)}
    ${T} mv = ${common.load(dt, "m", "m_off + gid", T)};
    ${T} vv = ${common.load(dt, "v", "v_off + gid", T)};
    mv = ${lerp("mv", "g", "w1", flags["lerp_hi"])};
    vv = vv * beta2 + w2 * (g * g);
    ${common.store(dt, "m", "m_off + gid", "mv")}
    ${common.store(dt, "v", "v_off + gid", "vv")}
% if flags["amsgrad"]:
    ${T} vm = ${common.load(dt, "vmax", "vmax_off + gid", T)};
    vm = fmax(vm, vv);
    ${common.store(dt, "vmax", "vmax_off + gid", "vm")}
    const ${T} denom = sqrt(vm) / bc2_sqrt + eps;
% else:
    const ${T} denom = sqrt(vv) / bc2_sqrt + eps;
% endif
    p = p + (-step_size) * (mv / denom);
    ${common.store(dt, "param", "pi", "p")}
}
</%def>

## rmsprop: states [square_avg(, momentum_buffer)(, grad_avg)]; scalars weight_decay, alpha,
## w (= 1 - alpha), eps, momentum, lr.
<%def name="rmsprop(name, caps, dt, T, index_t, flags)">\
${head(name, dt, T, index_t, flags)}
    ${T} s = ${common.load(dt, "sq", "sq_off + gid", T)};
    s = s * alpha + w * (g * g);
    ${common.store(dt, "sq", "sq_off + gid", "s")}
% if flags["centered"]:
    ${T} a = ${common.load(dt, "ga", "ga_off + gid", T)};
    a = ${lerp("a", "g", "w", flags["lerp_hi"])};
    ${common.store(dt, "ga", "ga_off + gid", "a")}
    const ${T} avg = sqrt(s + (-1) * (a * a)) + eps;
% else:
    const ${T} avg = sqrt(s) + eps;
% endif
% if flags["momentum"]:
    ${T} b = ${common.load(dt, "buf", "buf_off + gid", T)};
    b = b * momentum + g / avg;
    ${common.store(dt, "buf", "buf_off + gid", "b")}
    p = p + (-lr) * b;
% else:
    p = p + (-lr) * (g / avg);
% endif
    ${common.store(dt, "param", "pi", "p")}
}
</%def>

## adagrad: states [sum]; scalars weight_decay, eps, clr (= lr / (1 + (step - 1) * lr_decay)).
<%def name="adagrad(name, caps, dt, T, index_t, flags)">\
${head(name, dt, T, index_t, flags)}
    ${T} s = ${common.load(dt, "acc", "acc_off + gid", T)};
    s = s + g * g;
    ${common.store(dt, "acc", "acc_off + gid", "s")}
    p = p + (-clr) * (g / (sqrt(s) + eps));
    ${common.store(dt, "param", "pi", "p")}
}
</%def>

## adadelta: states [square_avg, acc_delta]; scalars weight_decay, rho, w (= 1 - rho), eps, lr.
<%def name="adadelta(name, caps, dt, T, index_t, flags)">\
${head(name, dt, T, index_t, flags)}
    ${T} s = ${common.load(dt, "sq", "sq_off + gid", T)};
    ${T} d = ${common.load(dt, "acc", "acc_off + gid", T)};
    s = s * rho + w * (g * g);
    const ${T} delta = sqrt(d + eps) / sqrt(s + eps) * g;
    d = d * rho + w * (delta * delta);
    ${common.store(dt, "sq", "sq_off + gid", "s")}
    ${common.store(dt, "acc", "acc_off + gid", "d")}
    p = p + (-lr) * delta;
    ${common.store(dt, "param", "pi", "p")}
}
</%def>

## adamax: states [exp_avg, exp_inf]; scalars weight_decay, w1 (= 1 - beta1), beta2, eps,
## clr (= lr / bias_correction1).
<%def name="adamax(name, caps, dt, T, index_t, flags)">\
${head(name, dt, T, index_t, flags)}
    ${T} mv = ${common.load(dt, "m", "m_off + gid", T)};
    ${T} uv = ${common.load(dt, "u", "u_off + gid", T)};
    mv = ${lerp("mv", "g", "w1", flags["lerp_hi"])};
    uv = fmax(uv * beta2, fabs(g) + eps);
    ${common.store(dt, "m", "m_off + gid", "mv")}
    ${common.store(dt, "u", "u_off + gid", "uv")}
    p = p + (-clr) * (mv / uv);
    ${common.store(dt, "param", "pi", "p")}
}
</%def>

## nadam: states [exp_avg, exp_avg_sq]; scalars weight_decay, decay, w1, beta2, w2,
## bc2 (= bias_correction2), eps, c_grad (= -lr (1 - mu) / (1 - mu_product)),
## c_avg (= -lr mu_next / (1 - mu_product mu_next)).
<%def name="nadam(name, caps, dt, T, index_t, flags)">\
${head(name, dt, T, index_t, flags)}
    ${T} mv = ${common.load(dt, "m", "m_off + gid", T)};
    ${T} vv = ${common.load(dt, "v", "v_off + gid", T)};
    mv = ${lerp("mv", "g", "w1", flags["lerp_hi"])};
    vv = vv * beta2 + w2 * (g * g);
    ${common.store(dt, "m", "m_off + gid", "mv")}
    ${common.store(dt, "v", "v_off + gid", "vv")}
    const ${T} denom = sqrt(vv / bc2) + eps;
    p = p + c_grad * (g / denom);
    p = p + c_avg * (mv / denom);
    ${common.store(dt, "param", "pi", "p")}
}
</%def>

## radam: states [exp_avg, exp_avg_sq]; scalars weight_decay, decay, w1, beta2, w2,
## bc1 (= bias_correction1), lr, bc2_sqrt, eps, rect. flags.rectify: rho_t > 5 this step.
<%def name="radam(name, caps, dt, T, index_t, flags)">\
${head(name, dt, T, index_t, flags)}
    ${T} mv = ${common.load(dt, "m", "m_off + gid", T)};
    ${T} vv = ${common.load(dt, "v", "v_off + gid", T)};
    mv = ${lerp("mv", "g", "w1", flags["lerp_hi"])};
    vv = vv * beta2 + w2 * (g * g);
    ${common.store(dt, "m", "m_off + gid", "mv")}
    ${common.store(dt, "v", "v_off + gid", "vv")}
% if flags["rectify"]:
    p = p - (mv / bc1) * lr * (bc2_sqrt / (sqrt(vv) + eps)) * rect;
% else:
    p = p - (mv / bc1) * lr;
% endif
    ${common.store(dt, "param", "pi", "p")}
}
</%def>
