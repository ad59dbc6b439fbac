//! [`SystemInfo`]: `GET /api/system/info` (WIRE 2).

use serde_json::Value;

use super::{DhisDate, Extra, Field};

/// `GET /api/system/info`. The key set is the same on 2.39-2.42 (46 keys); 2.43 adds `sessionTimeout` and
/// `capability`. Non-superusers get a reduced object (superuser-only keys absent). Unknown keys are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SystemInfo {
    /// Absolute base URL of the server (scheme, host, port, context path).
    pub context_path: Field<String>,
    /// The request's `User-Agent`.
    pub user_agent: Field<String>,
    /// Calendar name, e.g. `iso8601`.
    pub calendar: Field<String>,
    /// JavaScript date pattern, e.g. `yyyy-mm-dd`.
    pub date_format: Field<String>,
    /// Server time.
    pub server_date: Field<DhisDate>,
    /// Server time zone id, e.g. `Etc/UTC`.
    pub server_time_zone_id: Field<String>,
    /// Server time zone display name.
    pub server_time_zone_display_name: Field<String>,
    /// Session timeout in seconds (2.43+).
    pub session_timeout: Field<i64>,
    /// Last successful analytics table generation.
    pub last_analytics_table_success: Field<DhisDate>,
    /// Time since the last successful analytics table generation.
    pub interval_since_last_analytics_table_success: Field<String>,
    /// Runtime of the last analytics table generation.
    pub last_analytics_table_runtime: Field<String>,
    /// Last successful system monitoring run.
    pub last_system_monitoring_success: Field<DhisDate>,
    /// Last successful analytics partition generation.
    pub last_analytics_table_partition_success: Field<DhisDate>,
    /// Time since the last successful analytics partition generation.
    pub interval_since_last_analytics_table_partition_success: Field<String>,
    /// Runtime of the last analytics partition generation.
    pub last_analytics_table_partition_runtime: Field<String>,
    /// Database information (reduced for non-superusers).
    pub database_info: Field<DatabaseInfo>,
    /// Capabilities, e.g. `{"analyticsTotalCounts": true}` (2.43+).
    pub capability: Field<Value>,
    /// Version string, e.g. `2.42.5-SNAPSHOT`, `2.40.2.1`, `2.44-SNAPSHOT`.
    pub version: Field<String>,
    /// 7-character git commit.
    pub revision: Field<String>,
    /// Build time.
    pub build_time: Field<DhisDate>,
    /// Superuser only.
    pub jasper_reports_version: Field<String>,
    /// Superuser only, e.g. `DHIS2_HOME`.
    pub environment_variable: Field<String>,
    /// Superuser only, e.g. `filesystem`.
    pub file_store_provider: Field<String>,
    /// Superuser only.
    pub read_only_mode: Field<String>,
    /// Superuser only.
    pub node_id: Field<String>,
    /// Superuser only.
    pub java_version: Field<String>,
    /// Superuser only.
    pub java_vendor: Field<String>,
    /// Superuser only.
    pub java_opts: Field<String>,
    /// Superuser only.
    pub os_name: Field<String>,
    /// Superuser only.
    pub os_architecture: Field<String>,
    /// Superuser only.
    pub os_version: Field<String>,
    /// Superuser only.
    pub external_directory: Field<String>,
    /// Superuser only.
    pub read_replica_count: Field<i64>,
    /// Superuser only.
    pub memory_info: Field<String>,
    /// Superuser only.
    pub cpu_cores: Field<i64>,
    /// Whether email is configured.
    pub email_configured: Field<bool>,
    /// Whether Redis is enabled (`false` for non-superusers).
    pub redis_enabled: Field<bool>,
    /// Superuser only.
    pub redis_hostname: Field<String>,
    /// System id.
    pub system_id: Field<String>,
    /// System name.
    pub system_name: Field<String>,
    /// Metadata version.
    pub system_metadata_version: Field<String>,
    /// Instance base URL.
    pub instance_base_url: Field<String>,
    /// Superuser only.
    pub system_monitoring_url: Field<String>,
    /// Superuser only.
    pub cluster_hostname: Field<String>,
    /// Whether metadata versioning is enabled.
    pub is_metadata_version_enabled: Field<bool>,
    /// Whether metadata sync is enabled.
    pub is_metadata_sync_enabled: Field<bool>,
    /// Last metadata sync attempt.
    pub last_metadata_version_sync_attempt: Field<DhisDate>,
    /// Whether encryption is configured (`false` for non-superusers).
    pub encryption: Field<bool>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    SystemInfo {
        context_path: "contextPath",
        user_agent: "userAgent",
        calendar: "calendar",
        date_format: "dateFormat",
        server_date: "serverDate",
        server_time_zone_id: "serverTimeZoneId",
        server_time_zone_display_name: "serverTimeZoneDisplayName",
        session_timeout: "sessionTimeout",
        last_analytics_table_success: "lastAnalyticsTableSuccess",
        interval_since_last_analytics_table_success: "intervalSinceLastAnalyticsTableSuccess",
        last_analytics_table_runtime: "lastAnalyticsTableRuntime",
        last_system_monitoring_success: "lastSystemMonitoringSuccess",
        last_analytics_table_partition_success: "lastAnalyticsTablePartitionSuccess",
        interval_since_last_analytics_table_partition_success: "intervalSinceLastAnalyticsTablePartitionSuccess",
        last_analytics_table_partition_runtime: "lastAnalyticsTablePartitionRuntime",
        database_info: "databaseInfo",
        capability: "capability",
        version: "version",
        revision: "revision",
        build_time: "buildTime",
        jasper_reports_version: "jasperReportsVersion",
        environment_variable: "environmentVariable",
        file_store_provider: "fileStoreProvider",
        read_only_mode: "readOnlyMode",
        node_id: "nodeId",
        java_version: "javaVersion",
        java_vendor: "javaVendor",
        java_opts: "javaOpts",
        os_name: "osName",
        os_architecture: "osArchitecture",
        os_version: "osVersion",
        external_directory: "externalDirectory",
        read_replica_count: "readReplicaCount",
        memory_info: "memoryInfo",
        cpu_cores: "cpuCores",
        email_configured: "emailConfigured",
        redis_enabled: "redisEnabled",
        redis_hostname: "redisHostname",
        system_id: "systemId",
        system_name: "systemName",
        system_metadata_version: "systemMetadataVersion",
        instance_base_url: "instanceBaseUrl",
        system_monitoring_url: "systemMonitoringUrl",
        cluster_hostname: "clusterHostname",
        is_metadata_version_enabled: "isMetadataVersionEnabled",
        is_metadata_sync_enabled: "isMetadataSyncEnabled",
        last_metadata_version_sync_attempt: "lastMetadataVersionSyncAttempt",
        encryption: "encryption",
    }
}

/// `databaseInfo` of [`SystemInfo`]; `name`, `user`, `url`, `databaseVersion` are removed for non-superusers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatabaseInfo {
    /// Database name.
    pub name: Field<String>,
    /// Database user.
    pub user: Field<String>,
    /// JDBC URL.
    pub url: Field<String>,
    /// Database version.
    pub database_version: Field<String>,
    /// Whether PostGIS is available.
    pub spatial_support: Field<bool>,
    /// Database time.
    pub time: Field<DhisDate>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    DatabaseInfo {
        name: "name",
        user: "user",
        url: "url",
        database_version: "databaseVersion",
        spatial_support: "spatialSupport",
        time: "time",
    }
}
