## Math helpers pointwise expressions call, one <%def> each, generic over the compute type T.
## Each def takes T (an OpenCL C type name) and emits functions suffixed with _T.
<%def name="int_floordiv(T)">\
inline ${T} floordiv_${T}(${T} a, ${T} b) {
    ${T} q = a / b;
    return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}
inline ${T} floormod_${T}(${T} a, ${T} b) {
    ${T} r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
</%def>
