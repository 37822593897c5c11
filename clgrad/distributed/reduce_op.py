"""ReduceOp with PyTorch's names and values (ReduceOp.SUM is a RedOpType member)."""
from __future__ import annotations

import enum


class RedOpType(int, enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8

    def __repr__(self) -> str:
        return f"<RedOpType.{self.name}: {int(self)}>"

    def __str__(self) -> str:
        return f"RedOpType.{self.name}"


class ReduceOp:
    """The reduction of all_reduce, reduce and reduce_scatter_tensor."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM

    def __init__(self, op: RedOpType = RedOpType.SUM):
        self.op = RedOpType(op)


def mpi_op(MPI, op):
    """The MPI.Op for a ReduceOp (AVG is SUM followed by a division)."""
    op = RedOpType(op.op if isinstance(op, ReduceOp) else op)
    table = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
             RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
             RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}
    if op not in table:
        raise ValueError(f"ReduceOp {op} is not supported by the MPI backend")
    return table[op], op is RedOpType.AVG
