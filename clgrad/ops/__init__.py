"""Operations, each attaching its Tensor methods on import (see _tensor.register)."""
