//! What an account may do.

use crate::macros::text_enum;

text_enum! {
    /// The role of an account. Decides which operations it may call and which records it
    /// may see; the rules themselves live in the service layer.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::Role;
    ///
    /// let role: Role = "partner_viewer".parse()?;
    /// assert_eq!(role, Role::PartnerViewer);
    /// assert_eq!(Role::Coordinator.as_str(), "coordinator");
    /// assert!("admin".parse::<Role>().is_err());
    /// # Ok::<(), kompis_domain::FieldError>(())
    /// ```
    pub enum Role: "role" {
        /// Manages chapters, districts, organisations and accounts.
        Administrator => "administrator",
        /// Programme staff: interviews, matching, follow-up, activities, reports.
        Coordinator => "coordinator",
        /// Staff at a referring organisation (such as an SFI school): refers learners and
        /// sees what became of its own referrals.
        Referrer => "referrer",
        /// A newcomer or established resident using the app.
        Participant => "participant",
        /// A partner (such as the municipality) that sees aggregate reports only.
        PartnerViewer => "partner_viewer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
        assert_eq!(Role::ALL.len(), 5);
    }

    #[test]
    fn parsing_is_exact() {
        for bad in ["", "Administrator", " coordinator", "partner-viewer"] {
            assert!(bad.parse::<Role>().is_err(), "{bad:?}");
        }
    }
}
