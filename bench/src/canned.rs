//! Canned response bodies of the fixed-cost server: a 2.42-shaped `/api/me` (about 1 KB) and `/api/system/info`.

/// The DHIS2 version the fixed-cost server claims.
pub(crate) const VERSION: &str = "2.42.6";

/// A `GET /api/me` answer of a 2.42 server (shape from WIRE.md section 3), about 1 KB.
pub(crate) const ME: &str = r#"{"id":"xE7jOejl9FI","username":"admin","surname":"Traore","firstName":"John","displayName":"John Traore","name":"John Traore","email":"dummy@dhis2.org","emailVerified":false,"phoneNumber":"+23276000000","jobTitle":"Super user","introduction":"","employer":"Ministry of Health","education":"","interests":"","languages":"","gender":"gender_male","nationality":"","birthday":"1971-04-08T00:00:00.000","created":"2013-04-18T17:15:08.407","lastUpdated":"2025-03-04T11:22:31.002","organisationUnits":[{"id":"ImspTQPwCqd"}],"dataViewOrganisationUnits":[{"id":"ImspTQPwCqd"}],"teiSearchOrganisationUnits":[],"userGroups":[{"id":"wl5cDMuUhmF"},{"id":"QYrzIjSfI8z"},{"id":"lFHP5lLkzVr"}],"userRoles":[{"id":"Euq3XfEIEbx"},{"id":"cUlTcejWree"}],"authorities":["ALL","F_SYSTEM_SETTING","F_USER_VIEW","M_dhis-web-maintenance"],"programs":["IpHINAT79UW","ur1Edk5Oe2n","eBAyeGv0exc"],"dataSets":["BfMAe6Itzgt","QX4ZTUbOt3a","aLpVgfXiz0f"],"settings":{"keyUiLocale":"en","keyDbLocale":"en","keyMessageEmailNotification":true,"keyAnalysisDisplayProperty":"name"},"access":{"manage":true,"externalize":false,"write":true,"read":true,"update":true,"delete":true},"translations":[],"attributeValues":[],"patTokens":[],"favorites":[],"twoFactorType":"NOT_ENABLED"}"#;

/// A `GET /api/system/info` answer for a superuser (WIRE.md section 2), with `contextPath` filled in.
pub(crate) fn system_info(context_path: &str) -> String {
    format!(
        r#"{{"contextPath":"{context_path}","userAgent":"dhis2-bench","calendar":"iso8601","dateFormat":"yyyy-mm-dd","serverDate":"2026-05-08T17:40:02.117","serverTimeZoneId":"Etc/UTC","serverTimeZoneDisplayName":"Coordinated Universal Time","lastAnalyticsTableSuccess":"2026-05-08T02:00:01.000","intervalSinceLastAnalyticsTableSuccess":"15 h, 40 m, 1 s","lastAnalyticsTableRuntime":"2 m, 3 s","lastSystemMonitoringSuccess":"2026-05-08T17:00:00.000","databaseInfo":{{"name":"dhis2","user":"dhis","url":"jdbc:postgresql://db/dhis2","databaseVersion":"16.3","spatialSupport":true,"time":"2026-05-08T17:40:02.117"}},"version":"{VERSION}","revision":"4615de9","buildTime":"2026-05-08T17:38:59.000","emailConfigured":false,"redisEnabled":false,"systemId":"eed3d451-4ff5-4193-b951-ffcc68954299","systemName":"DHIS 2 Bench","systemMetadataVersion":"","instanceBaseUrl":"{context_path}","isMetadataVersionEnabled":true,"isMetadataSyncEnabled":false,"encryption":false}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn me_is_about_one_kilobyte_of_valid_json() {
        let v: serde_json::Value = serde_json::from_str(ME).unwrap();
        assert_eq!(v["username"], "admin");
        assert!((900..1600).contains(&ME.len()), "{}", ME.len());
    }

    #[test]
    fn system_info_is_valid_json_with_the_version() {
        let v: serde_json::Value =
            serde_json::from_str(&system_info("http://127.0.0.1:1")).unwrap();
        assert_eq!(v["version"], VERSION);
        assert_eq!(v["contextPath"], "http://127.0.0.1:1");
    }
}
