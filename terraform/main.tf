# The cloud side of fitpipe: a private, versioned bucket for the master table and the
# raw-sample lake, a service account that can use only that bucket, and BigQuery external
# tables over both, so heavy analysis runs on BigQuery instead of a laptop.

resource "google_storage_bucket" "lake" {
  name     = var.bucket_name
  location = var.location

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  # fitpipe never deletes objects and writes the master table conditionally; versioning is
  # the undo for a hand edit or a bad write.
  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      num_newer_versions = var.noncurrent_versions_kept
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_service_account" "sync" {
  account_id   = var.service_account_id
  display_name = "fitpipe sync"
  description  = "Used by fitpipe on the laptops to read and write gs://${var.bucket_name}/${var.prefix}."
}

# Object access on this bucket only: no project-wide storage role.
resource "google_storage_bucket_iam_member" "sync_objects" {
  bucket = google_storage_bucket.lake.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.sync.email}"
}

resource "google_service_account_key" "sync" {
  count              = var.create_key ? 1 : 0
  service_account_id = google_service_account.sync.name
}

resource "google_bigquery_dataset" "fitpipe" {
  dataset_id  = var.dataset_id
  location    = var.location
  description = "External tables over fitpipe's lake in gs://${var.bucket_name}/${var.prefix}."
}

# Raw samples: samples/account=NAME/date=YYYY-MM-DD/part-<hash>.parquet, Hive-partitioned.
# The columns come from the Parquet files: ts INT64 (UTC epoch seconds), time_utc TIMESTAMP,
# bpm INT64, utc_offset_min INT64 (the user's UTC offset, when known), device STRING.
resource "google_bigquery_table" "samples" {
  dataset_id          = google_bigquery_dataset.fitpipe.dataset_id
  table_id            = "samples"
  deletion_protection = false
  description         = "Every heart-rate sample. A sample can appear in two parts when two machines uploaded it at once: count DISTINCT ts."

  external_data_configuration {
    source_format = "PARQUET"
    autodetect    = true
    # Parts of earlier fitpipes (part-<hash>.csv) are rewritten as Parquet by the next sync.
    source_uris = ["gs://${var.bucket_name}/${var.prefix}/samples/*.parquet"]

    hive_partitioning_options {
      mode                     = "CUSTOM"
      source_uri_prefix        = "gs://${var.bucket_name}/${var.prefix}/samples/{account:STRING}/{date:DATE}"
      require_partition_filter = false
    }
  }
}

# The master table: hourly_max/NAME/YYYY.csv, one object per account and UTC year, each
# with the columns of `fitpipe export` and each hour's source policy version.
resource "google_bigquery_table" "hourly_max" {
  dataset_id          = google_bigquery_dataset.fitpipe.dataset_id
  table_id            = "hourly_max"
  deletion_protection = false
  description         = "The hourly maximum heart rate per account and UTC hour."

  external_data_configuration {
    source_format = "CSV"
    autodetect    = false
    source_uris   = ["gs://${var.bucket_name}/${var.prefix}/hourly_max/*.csv"]

    csv_options {
      quote             = "\""
      skip_leading_rows = 1
    }

    schema = jsonencode([
      { name = "account", type = "STRING", mode = "REQUIRED" },
      { name = "hour_start_utc", type = "TIMESTAMP", mode = "REQUIRED" },
      { name = "hour_start_local", type = "STRING", mode = "NULLABLE", description = "RFC 3339 with the user's offset" },
      { name = "max_bpm", type = "INT64", mode = "REQUIRED" },
      { name = "sample_count", type = "INT64", mode = "REQUIRED" },
      { name = "policy", type = "STRING", mode = "NULLABLE", description = "version of the source policy the hour was computed under" },
    ])
  }
}

# Each account's sources and whether its hourly max counts them: sources/NAME.csv.
resource "google_bigquery_table" "counted_sources" {
  dataset_id          = google_bigquery_dataset.fitpipe.dataset_id
  table_id            = "counted_sources"
  deletion_protection = false
  description         = "Every source of each account's samples, and whether its hourly max counts it."

  external_data_configuration {
    source_format = "CSV"
    autodetect    = false
    source_uris   = ["gs://${var.bucket_name}/${var.prefix}/sources/*.csv"]

    csv_options {
      quote             = "\""
      skip_leading_rows = 1
    }

    schema = jsonencode([
      { name = "account", type = "STRING", mode = "REQUIRED" },
      { name = "source", type = "STRING", mode = "REQUIRED" },
      { name = "counted", type = "BOOL", mode = "REQUIRED" },
    ])
  }
}

# The hourly max computed from the samples (the cohort path: every account of the bucket,
# without any laptop). The same SQL runs in DuckDB in fitpipe's tests.
resource "google_bigquery_table" "hourly_max_from_samples" {
  dataset_id          = google_bigquery_dataset.fitpipe.dataset_id
  table_id            = "hourly_max_from_samples"
  deletion_protection = false
  description         = "The hourly max per account and UTC hour, computed from the samples of the sources each account counts."

  view {
    use_legacy_sql = false
    query          = "SELECT account, TIMESTAMP_SECONDS(hour_start_epoch) AS hour_start_utc, max_bpm, sample_count FROM (${local.hourly_max_from_samples_sql})"
  }
}

locals {
  hourly_max_from_samples_sql = templatefile("${path.module}/hourly_max_from_samples.sql", {
    samples = "`${var.project_id}.${google_bigquery_dataset.fitpipe.dataset_id}.${google_bigquery_table.samples.table_id}`"
    sources = "`${var.project_id}.${google_bigquery_dataset.fitpipe.dataset_id}.${google_bigquery_table.counted_sources.table_id}`"
  })
}
