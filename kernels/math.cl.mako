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
% if not T.startswith("u"):
    // a / -1 by negation: INT_MIN / -1 traps on x86. (For unsigned T, (T)-1 is the maximum.)
    if (b == (${T})-1) return (${T})((${unsigned(T)})0 - (${unsigned(T)})a);
% endif
    return a / b;
}
inline ${T} truncmod_${T}(${T} a, ${T} b) {
% if T.startswith("u"):
    if (b == 0) return 0;
% else:
    if (b == 0 || b == (${T})-1) return 0;
% endif
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

## digamma_T(x): reflection below 0, recurrence up to 10, then the asymptotic series.
## PyTorch's conventions: digamma(0) = -inf (copysign with the zero), negative integers NaN.
<%def name="digamma(T)">\
inline ${T} digamma_${T}(${T} x) {
    if (x == (${T})0) return copysign((${T})INFINITY, -x);
    ${T} result = 0;
    if (x < (${T})0) {
        if (x == floor(x)) return (${T})NAN;
        // psi(x) = psi(1 - x) - pi / tan(pi x)
        const ${T} r = fmod(x, (${T})1);
        result = -(${T})M_PI / tan((${T})M_PI * r);
        x = (${T})1 - x;
    }
    while (x < (${T})10) {
        result -= (${T})1 / x;
        x += (${T})1;
    }
    if (x == (${T})10) return result + (${T})2.25175258906672110764;
    const ${T} z = (${T})1 / (x * x);
    ${T} p = (${T})(1.0 / 12);
    p = (${T})(-691.0 / 32760) + p * z;
    p = (${T})(1.0 / 132) + p * z;
    p = (${T})(-1.0 / 240) + p * z;
    p = (${T})(1.0 / 252) + p * z;
    p = (${T})(-1.0 / 120) + p * z;
    p = (${T})(1.0 / 12) + p * z;
    return result + log(x) - (${T})0.5 / x - p * z;
}
</%def>

## zeta_T(s, q): the Hurwitz zeta function sum_k (k + q)^-s by Euler-Maclaurin summation
## (direct terms until q + k > 9, then the Bernoulli tail; ZETA_A[j] = (2j+2)! / B_(2j+2)).
<%def name="zeta(T)">\
inline ${T} zeta_${T}(${T} s, ${T} q) {
    const ${T} ZETA_A[12] = {12.0, -720.0, 30240.0, -1209600.0, 47900160.0,
        -1892437580.3183792, 74724249600.0, -2950130727918.164, 116467828143500.67,
        -4597978722407473.0, 1.8152105401943546e+17, -7.166165256175667e+18};
    const ${T} eps = (${T})${"1.1102230246251565e-16" if T == "double" else "5.9604645e-08"};
    if (s == (${T})1) return (${T})INFINITY;
    if (s < (${T})1) return (${T})NAN;
    if (q <= (${T})0) {
        if (q == floor(q)) return (${T})INFINITY;
        if (s != floor(s)) return (${T})NAN;
    }
    ${T} sum = pow(q, -s);
    ${T} a = q, b = 0;
    int i = 0;
    while (i < 9 || a <= (${T})9) {
        i += 1;
        a += (${T})1;
        b = pow(a, -s);
        sum += b;
        if (fabs(b / sum) < eps) return sum;
        if (i > 1000) break;
    }
    const ${T} w = a;
    sum += b * w / (s - (${T})1);
    sum -= (${T})0.5 * b;
    ${T} a2 = 1, k = 0;
    for (int j = 0; j < 12; j++) {
        a2 *= s + k;
        b /= w;
        const ${T} t = a2 * b / (${T})ZETA_A[j];
        sum += t;
        if (fabs(t / sum) < eps) break;
        k += (${T})1;
        a2 *= s + k;
        b /= w;
        k += (${T})1;
    }
    return sum;
}
</%def>

## bessel_i_T(x, order, scaled): the modified Bessel functions I0 and I1 (order 0 or 1), times
## exp(-|x|) when scaled. The power series has only positive terms (no cancellation) and
## serves |x| <= 30; beyond, the asymptotic series e^|x| / sqrt(2 pi |x|) sum c_k / |x|^k.
<%def name="bessel_i(T)">\
inline ${T} bessel_i_${T}(${T} x, int order, int scaled) {
    const ${T} ax = fabs(x);
    if (isnan(x)) return x;
    ${T} result;
    if (ax <= (${T})30) {
        const ${T} y = ax * ax / (${T})4;
        ${T} term = order == 0 ? (${T})1 : ax / (${T})2;
        ${T} sum = term;
        for (int k = 1; k < 200; k++) {
            term *= y / ((${T})k * (${T})(k + order));
            sum += term;
            if (term < sum * (${T})1e-17) break;
        }
        result = scaled ? sum * exp(-ax) : sum;
    } else {
        ${T} c = 1, sum = 1;
        for (int k = 1; k < 30; k++) {
            const ${T} m = (${T})(2 * k - 1);
            c *= (m * m - (${T})(4 * order * order)) / ((${T})(8 * k) * ax);
            sum += c;
        }
        const ${T} scale = (${T})1 / sqrt((${T})(2 * M_PI) * ax);
        result = scaled ? sum * scale : sum * scale * exp(ax);
    }
    return (order == 1 && x < (${T})0) ? -result : result;
}
</%def>

## polygamma_T(n, x): digamma for n = 0, else (-1)^(n+1) n! zeta(n + 1, x). Needs the digamma
## and zeta helpers in the same program.
<%def name="polygamma(T)">\
inline ${T} polygamma_${T}(${T} n, ${T} x) {
    if (n == (${T})0) return digamma_${T}(x);
    if (isinf(x) && x > (${T})0) return (${T})0;  // every derivative of digamma vanishes there
    const ${T} sign = fmod(n, (${T})2) == (${T})0 ? (${T})-1 : (${T})1;
    return sign * tgamma(n + (${T})1) * zeta_${T}(n + (${T})1, x);
}
</%def>
