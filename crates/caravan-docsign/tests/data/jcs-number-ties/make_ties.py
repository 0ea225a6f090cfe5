# Generates doubles whose exact decimal value lies exactly halfway between two shortest
# round-tripping decimal forms (ECMA-262 Number::toString must pick the even last digit).
# Deterministic: python3 make_ties.py > ties_input.txt  (one IEEE-754 bit pattern in hex a line)
import random, struct
from decimal import Decimal, getcontext
getcontext().prec = 1200

def bits(x): return struct.unpack('<Q', struct.pack('<d', x))[0]

def is_tie(x):
    exact = Decimal(x)
    s = repr(abs(x))  # shortest round-trip digits (length is what matters here)
    d = Decimal(s)
    k = len(d.as_tuple().digits)
    # The exact value must have k + 1 significant digits, ending in 5.
    t = abs(exact).normalize().as_tuple()
    if len(t.digits) != k + 1 or t.digits[-1] != 5:
        return False
    unit = Decimal(1).scaleb(t.exponent + 1)
    lo = (abs(exact) - unit / 2)
    hi = (abs(exact) + unit / 2)
    return float(lo) == abs(x) and float(hi) == abs(x)

rng = random.Random(23)
found = set()
# x = m / 2^a with m odd: exact decimal m * 5^a / 10^a; ties need 17 or 18 significant digits.
for _ in range(400000):
    nbits = rng.randint(40, 53)
    m = rng.getrandbits(nbits) | 1 | (1 << (nbits - 1))
    a = rng.randint(1, 14)
    x = m / 2**a
    if m < 2**53 and is_tie(x):
        found.add(x if rng.random() < 0.5 else -x)
    if len(found) >= 3000:
        break
# The example.
found.add(-1715536978076941.25)
for x in sorted(found, key=bits):
    print(f"{bits(x):016x}")
