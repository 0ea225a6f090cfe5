# Generates pyecomplexity_0.5.3_oec_baci_sections.csv (see PROVENANCE.md) with py-ecomplexity 0.5.3
# (pip install ecomplexity==0.5.3; numpy 2.4.6, pandas 3.1.1, Python 3.11). From this folder:
#   python3 make_pyecomplexity_oec.py oec_baci_sections_global_exports.csv pyecomplexity_0.5.3_oec_baci_sections.csv
# The table has one period (2019-2021 aggregated by the OEC), so a constant period column is added.
import sys
import pandas as pd
from ecomplexity import ecomplexity

src, dst = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, dtype={"Country ID": str, "Section ID": str})
df["period"] = "2019-2021"
df = df[["period", "Country ID", "Section ID", "Trade Value"]]
cols = {"time": "period", "loc": "Country ID", "prod": "Section ID", "val": "Trade Value"}
out = ecomplexity(df, cols, check_logsupermodularity=False, verbose=False)
out = out[["period", "Country ID", "Section ID", "Trade Value", "rca", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog"]]
out = out.sort_values(["period", "Country ID", "Section ID"], key=lambda s: s if s.name != "Section ID" else s.astype(int))
out.to_csv(dst, index=False, float_format="%.17g")
