"""clgrad.distributed: torch.distributed's API on MPI (mpi4py), imported lazily."""
from .collectives import (all_gather, all_gather_into_tensor, all_reduce, barrier,  # noqa
                          broadcast, gather, irecv, isend, recv, reduce,
                          reduce_scatter_tensor, scatter, send)
from .process_group import (DistBackendError, DistError, GroupMember, ProcessGroup,  # noqa
                            Work, default_pg_timeout, destroy_process_group, get_backend,
                            get_rank, get_world_size, group, init_process_group, is_available,
                            is_initialized, is_mpi_available, new_group)
from .reduce_op import ReduceOp  # noqa: F401
