import random, time, sys, csv, warnings, threading
sys.setrecursionlimit(10**7)
threading.stack_size(1 << 29)
warnings.filterwarnings("ignore")
from matching.games import HospitalResident
N, P, L = int(sys.argv[1]), int(sys.argv[2]), 10
rng = random.Random(7)
w = [1.0 / (p + 10) for p in range(P)]
students = {}
scores = {}
for s in range(1, N + 1):
    ability = sum(rng.random() for _ in range(4)) / 4
    lst = []
    while len(lst) < L:
        p = rng.choices(range(P), weights=w)[0]
        if p in lst: continue
        lst.append(p)
        scores[(s, p)] = round(1000 * (0.75 * ability + 0.25 * rng.random()))
    students[s] = lst
seats = N * 90 // 100 // P
caps = {p: rng.randint(seats // 2, seats + seats // 2) for p in range(P)}
apps = {p: [] for p in range(P)}
for s, lst in students.items():
    for p in lst: apps[p].append(s)
hosp = {p: sorted(a, key=lambda s: (-scores[(s, p)], s)) for p, a in apps.items()}
with open("./students.csv", "w") as f:
    f.write("student_id,country," + ",".join(f"p{k}" for k in range(1, L+1)) + "," + ",".join(f"s{k}" for k in range(1, L+1)) + "\n")
    for s, lst in students.items():
        f.write(f"{s},KZ," + ",".join(f"P{p}" for p in lst) + "," + ",".join(str(scores[(s, p)]) for p in lst) + "\n")
with open("./programmes.csv", "w") as f:
    f.write("programme_id,capacity\n")
    for p in range(P): f.write(f"P{p},{caps[p]}\n")
box = {}
def work():
    g = HospitalResident.create_from_dictionaries(students, hosp, caps, clean=False)
    t = time.perf_counter()
    g.solve(optimal="resident")
    box["dt"] = time.perf_counter() - t
    box["g"] = g
th = threading.Thread(target=work); th.start(); th.join()
g, dt = box["g"], box["dt"]
print(f"python matching 1.4.3 HR solve: {N} x {P}: {dt:.3f} s", file=sys.stderr)
with open("./python.csv", "w") as f:
    f.write("student_id,programme_id,rank\n")
    for r in sorted(g.residents, key=lambda r: r.name):
        if r.matching is None: f.write(f"{r.name},-1,0\n")
        else: f.write(f"{r.name},P{r.matching.name},{students[r.name].index(r.matching.name)+1}\n")
