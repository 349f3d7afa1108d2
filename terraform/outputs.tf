output "remote_url" {
  description = "Put this in fitpipe's config.toml as remote.url."
  value       = "gs://${google_storage_bucket.lake.name}/${var.prefix}"
}

output "bucket_name" {
  description = "The bucket."
  value       = google_storage_bucket.lake.name
}

output "service_account_email" {
  description = "The service account the laptops use."
  value       = google_service_account.sync.email
}

output "service_account_key_json" {
  description = "The service account's JSON key (only with create_key = true). Write it to a 0600 file and name it in remote.service_account_key."
  value       = var.create_key ? base64decode(google_service_account_key.sync[0].private_key) : null
  sensitive   = true
}

output "bigquery_samples_table" {
  description = "External table over the raw-sample lake."
  value       = "${var.project_id}.${google_bigquery_dataset.fitpipe.dataset_id}.${google_bigquery_table.samples.table_id}"
}

output "bigquery_hourly_max_table" {
  description = "External table over the master table."
  value       = "${var.project_id}.${google_bigquery_dataset.fitpipe.dataset_id}.${google_bigquery_table.hourly_max.table_id}"
}
