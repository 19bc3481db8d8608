#!/usr/bin/env python3
"""Checks the Grafana dashboards in dashboards/*.json.

Usage: check_dashboards.py [REPO_ROOT]

Structure: valid JSON, a unique `uid`, importable (`__inputs`, `__requires`) and
provisionable (a `datasource` variable that every panel and target uses), the
`account` and `domain` variables, unique panel ids (rows included), a complete
gridPos without overlaps, a title and a description on every panel.

Expressions: every metric is one of the exporter's (read from
exporter/metrics/catalogue.cc), every label used exists on it, every provider
metric is filtered by `account=~"$account"` and, where it has the label,
`domain=~"$domain"`. Ranges: `rate()`/`irate()` and all time series use
`[$__rate_interval]`; the only other range allowed is `increase(...[$__range])`
in an instant target of a summary panel (stat, gauge, bar gauge, pie chart,
table), meaning "total over the selected time range".

Finally every expression, with the Grafana variables replaced by valid PromQL,
is written as a recording rule to a temporary file and parsed by
`promtool check rules` (set PROMTOOL to use another binary).

Exit status: 0 all good, 1 a check failed, 77 promtool is not installed (the
structural checks passed but the expressions could not be parsed).
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

DS_REF = {"type": "prometheus", "uid": "${datasource}"}
SUMMARY_TYPES = {"stat", "gauge", "bargauge", "piechart", "table"}
RANGE_FUNCS = {
    "rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets", "predict_linear",
    "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
    "quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time",
}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
                "topk", "quantile"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}
TARGET_LABELS = {"instance", "job"}
# Grafana variables and the PromQL text that stands in for them when parsing.
SUBSTITUTES = {
    "__rate_interval": "5m",
    "__range": "1h",
    "account": ".*",
    "domain": ".*",
}
VAR_RE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)")
EXIT_SKIP = 77


class Errors:
    def __init__(self):
        self.items = []

    def add(self, where, message):
        self.items.append(f"{where}: {message}")


# ---------------------------------------------------------------- catalogue

def load_catalogue(root):
    """Returns {series name: set(labels)} with histograms expanded to _bucket/_sum/_count."""
    path = os.path.join(root, "exporter", "metrics", "catalogue.cc")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        sys.exit(f"dashboards_check: FAIL: cannot read the metric catalogue {path}: {e}")
    pattern = re.compile(
        r'const\s+Desc\s+\w+\{\s*\d+\s*,\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"\s*,.*?'
        r'Kind::k(Counter|Gauge|Histogram)\s*,\s*\{([^}]*)\}', re.S)
    series = {}
    for name, kind, labels in pattern.findall(text):
        label_set = set(re.findall(r'"([^"]+)"', labels))
        if kind == "Histogram":
            series[name + "_bucket"] = label_set | {"le"}
            series[name + "_sum"] = set(label_set)
            series[name + "_count"] = set(label_set)
        else:
            series[name] = label_set
    if not series:
        sys.exit(f"dashboards_check: FAIL: found no metric definitions in {path}")
    return series


# ---------------------------------------------------------------- a small PromQL lexer

TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<var>\$\{\w+(?::[^}]*)?\}|\$\w+)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<number>[0-9][0-9a-zA-Z_.]*|\.[0-9]+)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=,(){}\[\]:@])
""", re.X)


def lex(expr):
    tokens = []
    pos = 0
    while pos < len(expr):
        m = TOKEN_RE.match(expr, pos)
        if not m:
            raise ValueError(f"unexpected character {expr[pos]!r} at offset {pos}")
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            tokens.append((kind, m.group()))
    return tokens


def unquote(s):
    return s[1:-1]


def analyse(expr):
    """Returns (selectors, ranges, grouping labels, variables).

    selectors: [(metric or None, [(label, op, value)])]
    ranges: [(range text, enclosing function name or None)]
    """
    tokens = lex(expr)
    selectors, ranges, grouping, variables = [], [], set(), []
    stack = []  # function name (or None) for every open parenthesis
    i = 0
    n = len(tokens)

    def matchers(j):
        # tokens[j] is '{'; returns (list, index after '}')
        out = []
        j += 1
        while j < n and tokens[j][1] != "}":
            if tokens[j][1] == ",":
                j += 1
                continue
            if j + 2 < n and tokens[j][0] == "ident" and tokens[j + 2][0] == "string":
                out.append((tokens[j][1], tokens[j + 1][1], unquote(tokens[j + 2][1])))
                j += 3
            else:
                raise ValueError(f"cannot read label matcher near {tokens[j][1]!r}")
        return out, j + 1

    while i < n:
        kind, text = tokens[i]
        nxt = tokens[i + 1][1] if i + 1 < n else None
        if kind == "var":
            variables.append(text)
            i += 1
        elif kind == "ident" and text in AGGREGATIONS and nxt in ("by", "without"):
            # sum by (labels) (...): read the grouping, the parenthesis that follows belongs to sum
            i += 2
            if i < n and tokens[i][1] == "(":
                i += 1
                while i < n and tokens[i][1] != ")":
                    if tokens[i][0] == "ident":
                        grouping.add(tokens[i][1])
                    i += 1
                i += 1
            if i < n and tokens[i][1] == "(":
                stack.append(text)
                i += 1
        elif kind == "string":
            variables.extend(m.group() for m in VAR_RE.finditer(text))
            i += 1
        elif kind == "ident" and text in GROUPING:
            i += 1
            if i < n and tokens[i][1] == "(":
                i += 1
                while i < n and tokens[i][1] != ")":
                    if tokens[i][0] == "ident":
                        grouping.add(tokens[i][1])
                    i += 1
                i += 1
        elif kind == "ident" and text.lower() in KEYWORDS:
            i += 1
        elif kind == "ident" and nxt == "(":
            stack.append(text)
            i += 2
        elif kind == "ident":
            if nxt == "{":
                ms, i = matchers(i + 1)
            else:
                ms, i = [], i + 1
            selectors.append((text, ms))
        elif text == "{":
            ms, i = matchers(i)
            names = [v for (l, op, v) in ms if l == "__name__" and op == "="]
            selectors.append((names[0] if names else None, ms))
        elif text == "(":
            stack.append(None)
            i += 1
        elif text == ")":
            if stack:
                stack.pop()
            i += 1
        elif text == "[":
            j = i + 1
            parts = []
            while j < n and tokens[j][1] != "]":
                parts.append(tokens[j][1])
                j += 1
            ranges.append(("".join(parts), stack[-1] if stack else None))
            for k, t in tokens[i + 1:j]:
                if k == "var":
                    variables.append(t)
            i = j + 1
        else:
            i += 1
    return selectors, ranges, grouping, variables


def var_name(ref):
    m = VAR_RE.fullmatch(ref)
    return (m.group(1) or m.group(2)) if m else None


def substitute(expr):
    unknown = []

    def repl(m):
        name = m.group(1) or m.group(2)
        if name not in SUBSTITUTES:
            unknown.append(m.group())
            return m.group()
        return SUBSTITUTES[name]
    return VAR_RE.sub(repl, expr), unknown


# ---------------------------------------------------------------- expression checks

def check_expr(err, where, expr, catalogue, panel_type=None, instant=False, variable_query=False):
    try:
        selectors, ranges, grouping, variables = analyse(expr)
    except ValueError as e:
        err.add(where, f"cannot read expression ({e}): {expr}")
        return
    used_labels = set()
    for metric, ms in selectors:
        if metric is None:
            name_re = [v for (l, op, v) in ms if l == "__name__" and op == "=~"]
            if not name_re:
                err.add(where, f"selector without a metric name: {expr}")
                continue
            metrics = [m for m in catalogue if re.fullmatch(name_re[0], m)]
            if not metrics:
                err.add(where, f"__name__=~\"{name_re[0]}\" matches no metric of the catalogue")
                continue
        elif metric not in catalogue:
            err.add(where, f"unknown metric '{metric}' (not in exporter/metrics/catalogue.cc)")
            continue
        else:
            metrics = [metric]
        for m in metrics:
            labels = catalogue[m]
            used_labels |= labels
            for label, op, value in ms:
                if label != "__name__" and label not in labels and label not in TARGET_LABELS:
                    err.add(where, f"metric '{m}' has no label '{label}'")
            if variable_query:
                continue
            for required in ("account", "domain"):
                if required not in labels:
                    continue
                ok = any(l == required and op == "=~" and var_name(v) == required for (l, op, v) in ms)
                if not ok:
                    err.add(where, f"'{m}' must be filtered with {required}=~\"${required}\": {one_line(expr)}")
    for label in grouping - used_labels - TARGET_LABELS - {"le"}:
        err.add(where, f"grouping label '{label}' exists on none of the metrics used")
    if "le" in grouping and not any(m and m.endswith("_bucket") for m, _ in selectors):
        err.add(where, "grouping by 'le' without a histogram _bucket series")
    for text, func in ranges:
        if ":" in text:
            err.add(where, f"subquery [{text}] is not allowed")
        elif text in ("$__rate_interval", "${__rate_interval}"):
            if func not in RANGE_FUNCS:
                err.add(where, f"range [{text}] outside a range function")
        elif text in ("$__range", "${__range}"):
            if func != "increase":
                err.add(where, f"[{text}] is only allowed in increase(), found in {func}()")
            elif panel_type not in SUMMARY_TYPES or not instant:
                err.add(where, f"increase(...[{text}]) is only allowed in instant targets of "
                               f"{'/'.join(sorted(SUMMARY_TYPES))} panels")
        else:
            err.add(where, f"range [{text}] must be [$__rate_interval] (or [$__range] for increase() in a "
                           f"summary panel)")
    _, unknown = substitute(expr)
    for u in unknown:
        err.add(where, f"unknown Grafana variable {u}")


def one_line(expr):
    return " ".join(expr.split())


# ---------------------------------------------------------------- dashboard checks

def walk_panels(panels, parent=None):
    for p in panels:
        yield p, parent
        if isinstance(p, dict) and p.get("panels"):
            yield from walk_panels(p["panels"], p)


def check_grid(err, name, panels):
    boxes = []
    for p in panels:
        g = p.get("gridPos")
        if not isinstance(g, dict) or any(not isinstance(g.get(k), int) for k in ("h", "w", "x", "y")):
            continue  # reported elsewhere
        boxes.append((p, g))
    for idx, (p, g) in enumerate(boxes):
        for q, h in boxes[idx + 1:]:
            if (g["x"] < h["x"] + h["w"] and h["x"] < g["x"] + g["w"] and
                    g["y"] < h["y"] + h["h"] and h["y"] < g["y"] + g["h"]):
                err.add(name, f"panels {p.get('id')} and {q.get('id')} overlap")


def check_dashboard(err, path, d, catalogue, rules):
    name = os.path.basename(path)
    if not isinstance(d, dict):
        err.add(name, "top level is not an object")
        return 0
    for key in ("uid", "title"):
        if not isinstance(d.get(key), str) or not d.get(key):
            err.add(name, f"missing '{key}'")
    if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 36:
        err.add(name, f"schemaVersion must be 36 or later, is {d.get('schemaVersion')!r}")
    if d.get("id") is not None:
        err.add(name, "'id' must be null so that the dashboard imports into any Grafana")

    inputs = d.get("__inputs")
    if not isinstance(inputs, list) or not any(
            isinstance(i, dict) and i.get("name") == "DS_PROMETHEUS" and i.get("type") == "datasource"
            and i.get("pluginId") == "prometheus" for i in inputs):
        err.add(name, "__inputs must declare the DS_PROMETHEUS datasource input (pluginId prometheus)")
    requires = d.get("__requires")
    if not isinstance(requires, list):
        err.add(name, "missing __requires")
        requires = []
    required_ids = {(r.get("type"), r.get("id")) for r in requires if isinstance(r, dict)}
    for need in (("grafana", "grafana"), ("datasource", "prometheus")):
        if need not in required_ids:
            err.add(name, f"__requires lacks {need[0]} '{need[1]}'")

    variables = {v.get("name"): v for v in d.get("templating", {}).get("list", []) if isinstance(v, dict)}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        err.add(name, "needs a template variable 'datasource' of type datasource with query 'prometheus'")
    for var in ("account", "domain"):
        v = variables.get(var)
        if not v:
            err.add(name, f"missing template variable '{var}'")
            continue
        where = f"{name} variable {var}"
        if v.get("type") != "query" or not v.get("multi") or not v.get("includeAll"):
            err.add(where, "must be a query variable with multi and include all")
        if v.get("datasource") != DS_REF:
            err.add(where, f"datasource must be {json.dumps(DS_REF)}")
    for vname, v in variables.items():
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        m = re.fullmatch(r"\s*label_values\((.*),\s*([a-zA-Z_]\w*)\s*\)\s*", q, re.S)
        if not m:
            err.add(f"{name} variable {vname}", f"query must be label_values(selector, label): {q!r}")
            continue
        check_expr(err, f"{name} variable {vname}", m.group(1), catalogue, variable_query=True)
        rules.append((f"var_{vname}", m.group(1)))

    panels = d.get("panels")
    if not isinstance(panels, list) or not panels:
        err.add(name, "no panels")
        return 0
    if "DS_PROMETHEUS" in json.dumps(panels):
        err.add(name, "panels must use ${datasource}, not ${DS_PROMETHEUS} (provisioning would break)")

    ids = {}
    used_types = set()
    n_exprs = 0
    for p, parent in walk_panels(panels):
        if not isinstance(p, dict):
            err.add(name, "a panel is not an object")
            continue
        pid = p.get("id")
        where = f"{name} panel {pid} '{p.get('title', '')}'"
        if not isinstance(pid, int):
            err.add(where, "missing integer id")
        elif pid in ids:
            err.add(where, f"duplicate panel id {pid} (also '{ids[pid]}')")
        else:
            ids[pid] = p.get("title", "")
        g = p.get("gridPos")
        if not isinstance(g, dict) or any(not isinstance(g.get(k), int) for k in ("h", "w", "x", "y")):
            err.add(where, "gridPos must have integer h, w, x and y")
        elif g["w"] < 1 or g["h"] < 1 or g["x"] < 0 or g["y"] < 0 or g["x"] + g["w"] > 24:
            err.add(where, f"gridPos out of the 24-column grid: {g}")
        if not p.get("title"):
            err.add(where, "missing title")
        ptype = p.get("type")
        if ptype == "row":
            if parent is not None:
                err.add(where, "row nested in a row")
            continue
        used_types.add(ptype)
        if not p.get("description"):
            err.add(where, "missing description")
        if p.get("datasource") != DS_REF:
            err.add(where, f"datasource must be {json.dumps(DS_REF)}")
        tgts = p.get("targets")
        if not isinstance(tgts, list) or not tgts:
            err.add(where, "no targets")
            continue
        refids = set()
        for t in tgts:
            ref = t.get("refId")
            twhere = f"{where} target {ref}"
            if not ref or ref in refids:
                err.add(twhere, "missing or duplicate refId")
            refids.add(ref)
            if t.get("datasource") != DS_REF:
                err.add(twhere, f"datasource must be {json.dumps(DS_REF)}")
            expr = t.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                err.add(twhere, "empty expr")
                continue
            instant = bool(t.get("instant")) and not t.get("range")
            if ptype not in SUMMARY_TYPES and instant:
                err.add(twhere, f"{ptype} panels need range queries")
            check_expr(err, twhere, expr, catalogue, ptype, instant)
            rules.append((f"panel_{pid}_{ref}", expr))
            n_exprs += 1
    for ptype in sorted(used_types):
        if ("panel", ptype) not in required_ids:
            err.add(name, f"__requires lacks panel '{ptype}'")

    check_grid(err, name, panels)
    for p, parent in walk_panels(panels):
        if isinstance(p, dict) and p.get("type") == "row" and p.get("collapsed") and p.get("panels"):
            check_grid(err, f"{name} collapsed row {p.get('id')}", p["panels"])
    return n_exprs


# ---------------------------------------------------------------- promtool

def record_name(uid, key):
    return "dashboard:" + re.sub(r"[^a-zA-Z0-9_]", "_", uid) + ":" + re.sub(r"[^a-zA-Z0-9_]", "_", key)


def promtool_check(groups):
    promtool = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if not promtool:
        return None, "promtool not found (install the 'prometheus' package or set PROMTOOL)"
    doc = {"groups": [{"name": g, "rules": [{"record": r, "expr": e} for r, e in rules]} for g, rules in groups]}
    with tempfile.TemporaryDirectory(prefix="dashboards_check.") as tmp:
        path = os.path.join(tmp, "dashboard_expressions.rules.yml")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)  # JSON is valid YAML
        proc = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
        return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
    files = sorted(glob.glob(os.path.join(root, "dashboards", "*.json")))
    if not files:
        print(f"dashboards_check: FAIL: no dashboards in {os.path.join(root, 'dashboards')}")
        return 1
    catalogue = load_catalogue(root)
    err = Errors()
    uids = {}
    groups = []
    n_exprs = 0
    for path in files:
        name = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            err.add(name, f"not valid JSON: {e}")
            continue
        rules = []
        n_exprs += check_dashboard(err, path, d, catalogue, rules)
        uid = d.get("uid") if isinstance(d, dict) else None
        if uid:
            if uid in uids:
                err.add(name, f"uid '{uid}' is also used by {uids[uid]}")
            uids[uid] = name
        groups.append((f"dashboard {name}",
                       [(record_name(uid or name, key), substitute(expr)[0]) for key, expr in rules]))

    if err.items:
        for item in err.items:
            print(f"dashboards_check: {item}")
        print(f"dashboards_check: FAIL: {len(err.items)} problem(s) in {len(files)} dashboard(s)")
        return 1

    ok, output = promtool_check(groups)
    if ok is None:
        print(f"dashboards_check: SKIP: structure of {len(files)} dashboards OK, but {output}")
        return EXIT_SKIP
    if not ok:
        print(output)
        print("dashboards_check: FAIL: promtool rejected a dashboard expression (see above; record names are "
              "dashboard:<uid>:panel_<id>_<refId> or dashboard:<uid>:var_<name>)")
        return 1
    n_rules = sum(len(r) for _, r in groups)
    print(f"dashboards_check: OK: {len(files)} dashboards, {len(ids_total(files))} panels, {n_exprs} panel "
          f"expressions and {n_rules - n_exprs} variable queries parsed by promtool")
    return 0


def ids_total(files):
    out = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        out += [p for p, _ in walk_panels(d["panels"]) if p.get("type") != "row"]
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv))
