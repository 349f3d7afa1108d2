#!/usr/bin/env python3
"""Parses terraform/*.tf with python-hcl2 and checks that the resources, settings, variables
and outputs fitpipe relies on are there. Exits non-zero, naming what is missing."""
import glob
import os
import sys

import hcl2

def clean(x):
    """Newer python-hcl2 keeps the quotes of labels and strings; drop them."""
    def unq(v):
        return v[1:-1] if isinstance(v, str) and len(v) >= 2 and v[0] == v[-1] == '"' else v
    if isinstance(x, dict):
        return {unq(k): clean(v) for k, v in x.items() if k not in ("__is_block__", "__comments__")}
    if isinstance(x, list):
        return [clean(v) for v in x]
    return unq(x)


root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "terraform")
doc = {"resource": [], "variable": [], "output": [], "terraform": [], "provider": []}
for path in sorted(glob.glob(os.path.join(root, "*.tf"))):
    with open(path) as f:
        parsed = clean(hcl2.load(f))
    for k, v in parsed.items():
        doc.setdefault(k, []).extend(v)

problems = []
resources = {}
for block in doc["resource"]:
    for rtype, named in block.items():
        for name, body in named.items():
            resources[(rtype, name)] = body


def need(cond, what):
    if not cond:
        problems.append(what)


def first(x):
    return x[0] if isinstance(x, list) and x else x


bucket = resources.get(("google_storage_bucket", "lake"))
need(bucket is not None, "resource google_storage_bucket.lake")
if bucket:
    need(bucket.get("uniform_bucket_level_access") is True, "bucket: uniform_bucket_level_access = true")
    need(bucket.get("public_access_prevention") == "enforced", "bucket: public_access_prevention = enforced")
    need(first(bucket.get("versioning", [{}])).get("enabled") is True, "bucket: versioning enabled")
    rules = bucket.get("lifecycle_rule", [])
    noncurrent = [r for r in rules if any(k in first(r.get("condition", [{}])) for k in ("days_since_noncurrent_time", "num_newer_versions"))]
    need(noncurrent and all(first(r["action"])["type"] == "Delete" for r in noncurrent), "bucket: lifecycle rule deleting noncurrent versions")
    need("${var.location}" in str(bucket.get("location")), "bucket: location from var.location")
need(("google_service_account", "sync") in resources, "resource google_service_account.sync")
iam = resources.get(("google_storage_bucket_iam_member", "sync_objects"))
need(iam is not None and iam.get("role") == "roles/storage.objectAdmin" and "google_storage_bucket.lake" in str(iam.get("bucket")),
     "bucket-scoped IAM binding roles/storage.objectAdmin for the service account")
need(("google_service_account_key", "sync") in resources, "optional google_service_account_key.sync")
need(("google_bigquery_dataset", "fitpipe") in resources, "resource google_bigquery_dataset.fitpipe")
samples = resources.get(("google_bigquery_table", "samples"))
need(samples is not None, "resource google_bigquery_table.samples")
if samples:
    ext = first(samples.get("external_data_configuration"))
    hive = first(ext.get("hive_partitioning_options", [{}]))
    need("{account:STRING}/{date:DATE}" in str(hive.get("source_uri_prefix")), "samples: Hive partitions account and date")
    need("/samples/*.parquet" in str(ext.get("source_uris")), "samples: source URIs of the Parquet parts under PREFIX/samples/")
    need(ext.get("source_format") == "PARQUET", "samples: source_format PARQUET")
hourly = resources.get(("google_bigquery_table", "hourly_max"))
need(hourly is not None and "/hourly_max/*.csv" in str(first(hourly.get("external_data_configuration")).get("source_uris")),
     "resource google_bigquery_table.hourly_max over hourly_max/NAME/YYYY.csv")

view = resources.get(("google_bigquery_table", "hourly_max_from_samples"))
need(view is not None and "hourly_max_from_samples_sql" in str(view.get("view")) and "hourly_max_from_samples.sql" in str(doc.get("locals")),
     "resource google_bigquery_table.hourly_max_from_samples, a view over terraform/hourly_max_from_samples.sql")
need(os.path.exists(os.path.join(root, "hourly_max_from_samples.sql")), "terraform/hourly_max_from_samples.sql")
counted = resources.get(("google_bigquery_table", "counted_sources"))
need(counted is not None and "/sources/*.csv" in str(first(counted.get("external_data_configuration")).get("source_uris")),
     "resource google_bigquery_table.counted_sources over sources/NAME.csv")

variables = {name for block in doc["variable"] for name in block}
for v in ["project_id", "location", "bucket_name", "prefix", "create_key", "noncurrent_version_days"]:
    need(v in variables, f"variable {v}")
for block in doc["variable"]:
    for name, body in block.items():
        need(bool(body.get("description")), f"variable {name} has a description")
outputs = {name: body for block in doc["output"] for name, body in block.items()}
for o in ["remote_url", "service_account_email", "service_account_key_json", "bigquery_samples_table", "bigquery_hourly_max_table"]:
    need(o in outputs, f"output {o}")
need(outputs.get("service_account_key_json", {}).get("sensitive") is True, "output service_account_key_json is sensitive")
providers = str(doc["terraform"])
need("hashicorp/google" in providers and "version" in providers, "versions.tf pins the google provider")

if problems:
    print("terraform check failed:")
    for p in problems:
        print("  missing or wrong:", p)
    sys.exit(1)
print(f"terraform ok: {len(resources)} resources, {len(variables)} variables, {len(outputs)} outputs")
