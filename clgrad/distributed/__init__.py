"""clgrad.distributed: torch.distributed's API on MPI (mpi4py), imported lazily."""
from .backend_names import (Backend, get_default_backend_for_device,  # noqa: F401
                            is_backend_available, is_gloo_available, is_nccl_available,
                            is_ucc_available, is_xccl_available)
from .collectives import (all_gather, all_gather_into_tensor, all_reduce, barrier,  # noqa
                          broadcast, gather, irecv, isend, recv, reduce,
                          reduce_scatter_tensor, scatter, send)
from .exchange import all_to_all, all_to_all_single, reduce_scatter  # noqa: F401
from .objects import (all_gather_object, broadcast_object_list, gather_object,  # noqa: F401
                      recv_object_list, scatter_object_list, send_object_list)
from .p2p import P2POp, batch_isend_irecv, monitored_barrier  # noqa: F401
from .process_group import (DistBackendError, DistError, GroupMember, ProcessGroup,  # noqa
                            Work, default_pg_timeout, destroy_process_group, get_backend,
                            get_global_rank, get_group_rank, get_node_local_rank,
                            get_process_group_ranks, get_rank, get_world_size, group,
                            init_process_group, is_available, is_initialized,
                            is_mpi_available, new_group)
from .reduce_op import ReduceOp  # noqa: F401
