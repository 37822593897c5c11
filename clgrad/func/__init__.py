"""clgrad.func: function transforms as torch.func (grad, vjp, jvp, jacobians, vmap,
functional_call), built on clgrad's tape autograd."""
from ._call import functional_call  # noqa: F401
from ._autodiff import grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian  # noqa: F401
from ._vmap import vmap  # noqa: F401
