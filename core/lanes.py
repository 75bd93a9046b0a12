"""Vectors as wide as the processor's vector registers, for the two large products of core/kernel_loops.py (W1 · X
and dZ1 · Xᵀ), and the few operations those need: load (converting uint8 pixels to float on the way), store,
multiply-add, broadcast, the sum of the lanes, adding into float64 sums; and a prefetch.

numba's loop vectoriser takes one vector width for all the code it compiles, and on processors where LLVM prefers
256 bits to 512 (Intel's with AVX-512 among them) it keeps to 256. Written with these vectors, the products use the
512-bit units there while the rest of the kernel keeps the vectoriser's choice. core/kernels.py uses them only where
the registers are 512-bit wide (BYTES == 64); with narrower ones plain loops are faster (bench/README.md). Each
operation is one LLVM instruction with no fast-math flags, so sums are added in the order the code writes them: the
same bits at every run.

Importing this module imports numba, so core/kernels.py imports it only when it compiles. numba's cache of
core/kernel_loops.py does not see changes here: after changing this file, delete
core/__pycache__/kernel_loops.*.nbi so that the kernels compile again.
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils, codegen, config
from numba.extending import intrinsic, models, register_model


def register_bytes() -> int:
    """The width of the vector registers numba compiles for: 64 bytes with AVX-512, 32 with AVX, else 16."""
    features = config.CPU_FEATURES if config.CPU_FEATURES is not None else codegen.get_host_cpu_features()
    features = set(features.split(","))
    if "+avx512f" in features:
        return 64
    if "+avx" in features:
        return 32
    return 16


BYTES = register_bytes()


class Lanes(types.Type):
    """A vector of BYTES // itemsize floats of one dtype (float32 or float64)."""

    def __init__(self, dtype: types.Float):
        self.dtype = dtype
        self.count = BYTES // (dtype.bitwidth // 8)
        super().__init__(name=f"Lanes({dtype}x{self.count})")


@register_model(Lanes)
class LanesModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type: Lanes):
        element = ir.FloatType() if fe_type.dtype == types.float32 else ir.DoubleType()
        super().__init__(dmm, fe_type, ir.VectorType(element, fe_type.count))


def _float_array(array) -> bool:
    return isinstance(array, types.Array) and array.dtype in (types.float32, types.float64) and array.layout == "C"


def _element_pointer(context, builder, array_type, array, index):
    """The address of array.flat[index] (C-contiguous arrays only: typing refuses others)."""
    data = context.make_array(array_type)(context, builder, array).data
    return builder.gep(data, [index])


@intrinsic
def prefetch(typingctx, array, index):
    """Ask for array.flat[index] to be read into the L2 cache, for reading (LLVM's prefetch: on x86
    `prefetcht1`; elsewhere what the processor has, or nothing)."""
    if not (isinstance(array, types.Array) and array.layout == "C" and isinstance(index, types.Integer)):
        return None

    def build(context, builder, signature, args):
        byte_pointer = ir.IntType(8).as_pointer()
        function = cgutils.get_or_insert_function(builder.module, ir.FunctionType(
            ir.VoidType(), [byte_pointer] + [ir.IntType(32)] * 3), "llvm.prefetch.p0i8")
        read, keep_in_l2, data_cache = (ir.Constant(ir.IntType(32), value) for value in (0, 2, 1))
        pointer = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        builder.call(function, [builder.bitcast(pointer, byte_pointer), read, keep_in_l2, data_cache])
        return context.get_dummy_value()
    return types.void(array, index), build


@intrinsic
def count(typingctx, like):
    """How many lanes a vector of like's dtype has (a constant of the compiled code)."""
    if not _float_array(like):
        return None

    def build(context, builder, signature, args):
        return context.get_constant(types.intp, Lanes(signature.args[0].dtype).count)
    return types.intp(like), build


@intrinsic
def zeros(typingctx, like):
    """A vector of zeros of like's dtype."""
    if not _float_array(like):
        return None
    lanes = Lanes(like.dtype)

    def build(context, builder, signature, args):
        return ir.Constant(context.get_value_type(lanes), None)
    return lanes(like), build


@intrinsic
def splat(typingctx, value, like):
    """A vector of like's dtype with value in every lane."""
    if not (_float_array(like) and isinstance(value, types.Float)):
        return None
    lanes = Lanes(like.dtype)

    def build(context, builder, signature, args):
        scalar = context.cast(builder, args[0], signature.args[0], lanes.dtype)
        vector_type = context.get_value_type(lanes)
        vector = builder.insert_element(ir.Constant(vector_type, ir.Undefined), scalar, ir.Constant(ir.IntType(32), 0))
        return builder.shuffle_vector(vector, vector, ir.Constant(ir.VectorType(ir.IntType(32), lanes.count), None))
    return lanes(value, like), build


@intrinsic
def load(typingctx, array, index, like):
    """The vector of like's dtype made of array.flat[index], array.flat[index + 1], …: floats of like's dtype as
    they are, uint8 converted exactly."""
    if not (_float_array(like) and isinstance(array, types.Array) and array.layout == "C"
            and array.dtype in (like.dtype, types.uint8) and isinstance(index, types.Integer)):
        return None
    lanes = Lanes(like.dtype)

    def build(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        vector_type = context.get_value_type(lanes)
        if signature.args[0].dtype == types.uint8:
            bytes_type = ir.VectorType(ir.IntType(8), lanes.count)
            return builder.uitofp(builder.load(builder.bitcast(pointer, bytes_type.as_pointer()), align=1),
                                  vector_type)
        return builder.load(builder.bitcast(pointer, vector_type.as_pointer()), align=1)
    return lanes(array, index, like), build


@intrinsic
def store(typingctx, array, index, vector):
    """array.flat[index], array.flat[index + 1], … = the vector's lanes."""
    if not (isinstance(vector, Lanes) and _float_array(array) and array.dtype == vector.dtype
            and isinstance(index, types.Integer)):
        return None

    def build(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        vector_type = context.get_value_type(signature.args[2])
        builder.store(args[2], builder.bitcast(pointer, vector_type.as_pointer()), align=1)
        return context.get_dummy_value()
    return types.void(array, index, vector), build


@intrinsic
def add_into(typingctx, array, index, vector):
    """array.flat[index], array.flat[index + 1], … += the vector's lanes, in array's dtype (float64 sums of float32
    vectors: each lane converted exactly, then added)."""
    if not (isinstance(vector, Lanes) and _float_array(array) and array.dtype.bitwidth >= vector.dtype.bitwidth
            and isinstance(index, types.Integer)):
        return None

    def build(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        element = context.get_value_type(signature.args[0].dtype)
        wide_type = ir.VectorType(element, signature.args[2].count)
        pointer = builder.bitcast(pointer, wide_type.as_pointer())
        wide = args[2] if signature.args[0].dtype == signature.args[2].dtype else builder.fpext(args[2], wide_type)
        builder.store(builder.fadd(builder.load(pointer, align=1), wide), pointer, align=1)
        return context.get_dummy_value()
    return types.void(array, index, vector), build


def _same_lanes(*vectors) -> bool:
    return isinstance(vectors[0], Lanes) and all(vector == vectors[0] for vector in vectors)


@intrinsic
def fma(typingctx, a, b, c):
    """a · b + c, lane by lane, rounded once (LLVM's fma: the processor's multiply-add, or exact software)."""
    if not _same_lanes(a, b, c):
        return None

    def build(context, builder, signature, args):
        vector_type = context.get_value_type(signature.return_type)
        suffix = f"v{signature.return_type.count}f{signature.return_type.dtype.bitwidth}"
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vector_type, [vector_type] * 3), f"llvm.fma.{suffix}")
        return builder.call(function, args)
    return a(a, b, c), build


@intrinsic
def total(typingctx, vector):
    """The sum of the lanes, in a fixed order: the upper half added to the lower half until one lane is left."""
    if not isinstance(vector, Lanes):
        return None

    def build(context, builder, signature, args):
        value, width = args[0], signature.args[0].count
        while width > 1:
            width //= 2
            lower, upper = (ir.Constant(ir.VectorType(ir.IntType(32), width), list(range(first, first + width)))
                            for first in (0, width))
            value = builder.fadd(builder.shuffle_vector(value, value, lower),
                                 builder.shuffle_vector(value, value, upper))
        return builder.extract_element(value, ir.Constant(ir.IntType(32), 0))
    return vector.dtype(vector), build
