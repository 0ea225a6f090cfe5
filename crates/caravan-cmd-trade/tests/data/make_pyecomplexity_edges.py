# Generates pyecomplexity_edges_input.csv and pyecomplexity_0.5.3_edges.csv (see PROVENANCE.md):
# trade_data_sample.csv with panel edge cases, and py-ecomplexity 0.5.3's output on it.
# From this folder: python3 make_pyecomplexity_edges.py
import pandas as pd
from ecomplexity import ecomplexity

df = pd.read_csv("trade_data_sample.csv", dtype={"hs92": str})
# Absent cells: drop every 7th row.
df = df[df.index % 7 != 3]
# A location exporting nothing in 1996 (its rows kept, with value 0).
df.loc[(df.year == 1996) & (df.origin == "svn"), "export_val"] = 0
# A product nobody exports in 1995 (its rows kept, with value 0).
first = sorted(df.hs92.unique())[0]
df.loc[(df.year == 1995) & (df.hs92 == first), "export_val"] = 0
df.to_csv("pyecomplexity_edges_input.csv", index=False)
cols = {"time": "year", "loc": "origin", "prod": "hs92", "val": "export_val"}
out = ecomplexity(df, cols, check_logsupermodularity=False, verbose=False)
out = out[["year", "origin", "hs92", "export_val", "rca", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog"]]
out = out.sort_values(["year", "origin", "hs92"])
out.to_csv("pyecomplexity_0.5.3_edges.csv", index=False, float_format="%.17g")
