## Math helpers pointwise expressions call, one <%def> each, generic over the compute type T.
## Each def takes T (an OpenCL C type name: uchar, char, short, int, long, float or double)
## and emits inline functions suffixed _T. A def serving ints and floats branches on T.
<%!
    FLOATS = ("float", "double")

    def unsigned(T):
        return T if T.startswith("u") else "u" + T
%>

## floordiv_T(a, b) and floormod_T(a, b): Python's // and % (PyTorch's div floor and remainder).
## Integer division by zero yields 0 here (the cpu backend raises); INT_MIN / -1 wraps.
<%def name="floordiv(T)">\
% if T in FLOATS:
inline ${T} floordiv_${T}(${T} a, ${T} b) {
    if (b == 0) return a / b;
    const ${T} mod = fmod(a, b);
    ${T} div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= (${T})1;
    if (div == 0) return copysign((${T})0, a / b);
    ${T} q = floor(div);
    if (div - q > (${T})0.5) q += (${T})1;
    return q;
}
inline ${T} floormod_${T}(${T} a, ${T} b) {
    ${T} mod = fmod(a, b);
    if (mod != 0 && ((b < 0) != (mod < 0))) mod += b;
    return mod;
}
% else:
inline ${T} truncdiv_${T}(${T} a, ${T} b) {
    if (b == 0) return 0;
    if (b == (${T})-1) return (${T})((${unsigned(T)})0 - (${unsigned(T)})a);
    return a / b;
}
inline ${T} truncmod_${T}(${T} a, ${T} b) {
    if (b == 0 || b == (${T})-1) return 0;
    return a % b;
}
inline ${T} floordiv_${T}(${T} a, ${T} b) {
    const ${T} q = truncdiv_${T}(a, b);
    return (b != 0 && q * b != a && ((a < 0) != (b < 0))) ? (${T})(q - 1) : q;
}
inline ${T} floormod_${T}(${T} a, ${T} b) {
    const ${T} r = truncmod_${T}(a, b);
    return (r != 0 && ((r < 0) != (b < 0))) ? (${T})(r + b) : r;
}
% endif
</%def>

## truncdiv_T(a, b) and truncmod_T(a, b): C's / and % (div trunc and fmod) for every T.
<%def name="truncdiv(T)">\
% if T in FLOATS:
inline ${T} truncdiv_${T}(${T} a, ${T} b) { return trunc(a / b); }
inline ${T} truncmod_${T}(${T} a, ${T} b) { return fmod(a, b); }
% else:
${floordiv(T)}
% endif
</%def>

## ipow_T(base, exp): integer power by squaring; negative exponents give PyTorch's values.
## Float T emits nothing (pow's float expression is the builtin).
<%def name="ipow(T)">\
% if T not in FLOATS:
inline ${T} ipow_${T}(${T} base, ${T} exp) {
    if (exp < 0) {
        if (base == 1) return 1;
        if (base == (${T})-1) return (exp & 1) ? (${T})-1 : (${T})1;
        return 0;
    }
    ${unsigned(T)} result = 1, b = (${unsigned(T)})base;
    while (exp) {
        if (exp & 1) result *= b;
        exp >>= 1;
        b *= b;
    }
    return (${T})result;
}
% endif
</%def>

## erfinv_T(y): Giles' single-precision approximation, refined by two Newton steps for double.
<%def name="erfinv(T)">\
inline ${T} erfinv_${T}(${T} y) {
    const ${T} ay = fabs(y);
    if (ay >= (${T})1) return ay == (${T})1 ? copysign((${T})INFINITY, y) : (${T})NAN;
    ${T} w = -log(((${T})1 - y) * ((${T})1 + y));
    ${T} p;
    if (w < (${T})5) {
        w -= (${T})2.5;
        p = (${T})2.81022636e-08;
        p = (${T})3.43273939e-07 + p * w;
        p = (${T})-3.5233877e-06 + p * w;
        p = (${T})-4.39150654e-06 + p * w;
        p = (${T})0.00021858087 + p * w;
        p = (${T})-0.00125372503 + p * w;
        p = (${T})-0.00417768164 + p * w;
        p = (${T})0.246640727 + p * w;
        p = (${T})1.50140941 + p * w;
    } else {
        w = sqrt(w) - (${T})3;
        p = (${T})-0.000200214257;
        p = (${T})0.000100950558 + p * w;
        p = (${T})0.00134934322 + p * w;
        p = (${T})-0.00367342844 + p * w;
        p = (${T})0.00573950773 + p * w;
        p = (${T})-0.0076224613 + p * w;
        p = (${T})0.00943887047 + p * w;
        p = (${T})1.00167406 + p * w;
        p = (${T})2.83297682 + p * w;
    }
    ${T} x = p * y;
% if T == "double":
    for (int i = 0; i < 2; i++)
        x -= (erf(x) - y) / (1.1283791670955126 * exp(-x * x));
% endif
    return x;
}
</%def>

## logit_eps_T(x, eps): log(z / (1 - z)) with z = x clamped to [eps, 1 - eps] (NaN passes).
<%def name="logit_eps(T)">\
inline ${T} logit_eps_${T}(${T} x, ${T} lo) {
    const ${T} hi = (${T})1 - lo;
    const ${T} z = x < lo ? lo : (x > hi ? hi : x);
    return log(z / ((${T})1 - z));
}
</%def>
