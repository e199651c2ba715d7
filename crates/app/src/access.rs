//! Users, roles and what each role may do — enforced here, in the use cases, so that the CLI and
//! the desktop can never disagree and no front end can skip a check.
//!
//! Three roles, kept apart on purpose (segregation of duties):
//!
//! * **clerk** — imports documents, codes them, builds and submits journals;
//! * **controller** — approves and rejects journals, locks periods;
//! * **admin** — manages users, GL connections and rule packs, locks periods, and can do what a
//!   clerk does (a one-person workspace must be able to import), but never approves.
//!
//! Who is working is the `actor` of the [`Context`](crate::Context) the front end passes in (the
//! CLI's `--as`, by default the OS user name it reads; the desktop's OS user). The actor must be a
//! user of the workspace. **Bootstrap:** `init` makes its actor the first admin; `init --demo`
//! also adds the demo's clerk (who imports and prepares the demo journals) and two controllers.
//! A workspace from before users existed has none: there, and only there, anyone may add the
//! first user, who must be an admin; everything else is refused until then.
//!
//! A refusal is an [`AppError`] with code [`ErrorCode::NotPermitted`] whose message names the
//! rule that refused it (`ROLE-APPROVE`, `SOD-PREPARER`, …) and whose problem carries the rule as
//! its code, so the UI can show it and scripts can match on it.

use crate::dto_approvals::UserView;
use crate::error::{AppError, ErrorCode};
use crate::workspace::Workspace;
use folio_domain::Problem;
use std::fmt;

/// A role in the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Clerk,
    Controller,
    Admin,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Controller => "controller",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        [Role::Clerk, Role::Controller, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Import documents (and save import profiles).
    Import,
    /// Code documents, build journal drafts, resolve duplicates, import coded history.
    Code,
    /// Submit a journal for approval.
    Submit,
    /// Approve a journal.
    Approve,
    /// Send a journal back to its preparer.
    Reject,
    /// Set the local period lock.
    LockPeriods,
    /// Connect the GL.
    ManageConnections,
    /// Save rule packs, forget a vendor.
    ManageRules,
    /// Add users.
    ManageUsers,
    /// Post approved journals, pull master data.
    Sync,
    /// Record by hand that a journal in doubt is in the GL (a person checked the GL).
    ResolveGl,
}

impl Permission {
    /// The rule's name in refusals.
    pub fn rule(&self) -> &'static str {
        match self {
            Permission::Import => "ROLE-IMPORT",
            Permission::Code => "ROLE-CODE",
            Permission::Submit => "ROLE-SUBMIT",
            Permission::Approve => "ROLE-APPROVE",
            Permission::Reject => "ROLE-REJECT",
            Permission::LockPeriods => "ROLE-LOCK",
            Permission::ManageConnections => "ROLE-CONNECTIONS",
            Permission::ManageRules => "ROLE-RULES",
            Permission::ManageUsers => "ROLE-USERS",
            Permission::Sync => "ROLE-SYNC",
            Permission::ResolveGl => "ROLE-RESOLVE",
        }
    }

    /// What it is, for messages: "approving a journal".
    pub fn doing(&self) -> &'static str {
        match self {
            Permission::Import => "importing documents",
            Permission::Code => "coding documents and building journals",
            Permission::Submit => "submitting a journal for approval",
            Permission::Approve => "approving a journal",
            Permission::Reject => "sending a journal back",
            Permission::LockPeriods => "locking periods",
            Permission::ManageConnections => "connecting the GL",
            Permission::ManageRules => "changing rule packs and learned coding",
            Permission::ManageUsers => "managing users",
            Permission::Sync => "posting to the GL and pulling its master data",
            Permission::ResolveGl => "recording by hand that a journal is in the GL",
        }
    }

    /// The roles that may do it.
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Permission::Import | Permission::Code | Permission::Submit => &[Clerk, Admin],
            Permission::Approve | Permission::Reject | Permission::ResolveGl => &[Controller],
            Permission::LockPeriods => &[Controller, Admin],
            Permission::ManageConnections | Permission::ManageRules | Permission::ManageUsers => {
                &[Admin]
            }
            Permission::Sync => &[Clerk, Controller, Admin],
        }
    }
}

/// A refusal by rule `rule`: code `NOT_PERMITTED`, the rule in the message and as the problem's
/// code.
pub fn refused(rule: &str, field: &str, message: impl Into<String>) -> AppError {
    let message = message.into();
    AppError::new(
        ErrorCode::NotPermitted,
        format!("refused by rule {rule}: {message}"),
    )
    .with_problems(vec![Problem::error(rule, field, message)])
}

impl Workspace {
    /// Who is working.
    pub fn actor(&self) -> &str {
        &self.context.actor
    }

    /// The actor's role, or a refusal when they are not a user of the workspace.
    pub fn role(&self) -> Result<Role, AppError> {
        let actor = self.actor();
        match self.store.user(actor)? {
            Some(user) => Role::parse(&user.role).ok_or_else(|| {
                AppError::new(
                    ErrorCode::WorkspaceCorrupt,
                    format!("user {actor} has the unknown role '{}'", user.role),
                )
            }),
            None if self.store.users()?.is_empty() => Err(refused(
                "USER-BOOTSTRAP",
                "actor",
                format!(
                    "this workspace has no users yet; add the first admin with \
                     `folio users add {actor} --role admin`"
                ),
            )),
            None => Err(refused(
                "USER-UNKNOWN",
                "actor",
                format!(
                    "{actor} is not a user of this workspace (an admin adds users with \
                     `folio users add NAME --role clerk|controller|admin`)"
                ),
            )),
        }
    }

    /// The actor's role if it may do `permission`, a refusal naming the rule otherwise.
    pub fn require(&self, permission: Permission) -> Result<Role, AppError> {
        let role = self.role()?;
        if permission.roles().contains(&role) {
            return Ok(role);
        }
        let allowed: Vec<&str> = permission.roles().iter().map(Role::as_str).collect();
        Err(refused(
            permission.rule(),
            "actor",
            format!(
                "{} needs the role {}; {} has the role {role}",
                permission.doing(),
                allowed.join(" or "),
                self.actor()
            ),
        ))
    }

    /// Whether the actor may do `permission` (false for a non-user too).
    pub fn may(&self, permission: Permission) -> Result<bool, AppError> {
        match self.require(permission) {
            Ok(_) => Ok(true),
            Err(e) if e.code == ErrorCode::NotPermitted => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The actor as a user (for the desktop's "who is working").
    pub fn current_user(&self) -> Result<UserView, AppError> {
        let role = self.role()?;
        Ok(UserView {
            name: self.actor().to_owned(),
            role: role.as_str().to_owned(),
            added_at: None,
            added_by: None,
        })
    }

    /// Every user of the workspace, by name.
    pub fn users(&self) -> Result<Vec<UserView>, AppError> {
        Ok(self
            .store
            .users()?
            .into_iter()
            .map(|u| UserView {
                name: u.name,
                role: u.role,
                added_at: Some(
                    u.added_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ),
                added_by: Some(u.added_by),
            })
            .collect())
    }

    /// Adds a user (admins only; in a workspace without users, the first user, an admin).
    pub fn add_user(&mut self, name: &str, role: &str) -> Result<UserView, AppError> {
        let role = Role::parse(role).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("'{role}' is not a role (clerk, controller or admin)"),
            )
        })?;
        if self.store.users()?.is_empty() {
            if role != Role::Admin {
                return Err(refused(
                    "USER-BOOTSTRAP",
                    "role",
                    format!(
                        "the first user of a workspace is its admin; add {name} with --role admin"
                    ),
                ));
            }
        } else {
            self.require(Permission::ManageUsers)?;
        }
        check_user_name(name)?;
        let change = self.context.change();
        self.store.add_user(name, role.as_str(), &change)?;
        Ok(UserView {
            name: name.to_owned(),
            role: role.as_str().to_owned(),
            added_at: Some(change.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            added_by: Some(change.actor),
        })
    }
}

impl Workspace {
    /// Gives a user another role (admins). A workspace keeps at least one admin. What the user
    /// prepared while in an earlier role stays theirs: they never approve it.
    pub fn set_user_role(&mut self, name: &str, role: &str) -> Result<UserView, AppError> {
        self.require(Permission::ManageUsers)?;
        let new = Role::parse(role).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("'{role}' is not a role (clerk, controller or admin)"),
            )
        })?;
        let users = self.store.users()?;
        let user = users.iter().find(|u| u.name == name).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("{name} is not a user of this workspace"),
            )
        })?;
        let admins = users
            .iter()
            .filter(|u| u.role == Role::Admin.as_str())
            .count();
        if user.role == Role::Admin.as_str() && new != Role::Admin && admins == 1 {
            return Err(refused(
                "USER-LAST-ADMIN",
                "role",
                format!("{name} is the workspace's only admin; make someone else admin first"),
            ));
        }
        let change = self.context.change();
        self.store.set_user_role(name, new.as_str(), &change)?;
        Ok(UserView {
            name: name.to_owned(),
            role: new.as_str().to_owned(),
            added_at: Some(
                user.added_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            added_by: Some(user.added_by.clone()),
        })
    }
}

/// A user name: 1 to 64 letters, digits, `.`, `_`, `@` or `-` (an OS login or an e-mail address).
pub fn check_user_name(name: &str) -> Result<(), AppError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::InvalidInput,
            format!(
                "'{name}' is not a user name: use 1 to 64 letters, digits, '.', '_', '@' or '-'"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_role_both_prepares_and_approves() {
        for role in [Role::Clerk, Role::Controller, Role::Admin] {
            let codes = Permission::Code.roles().contains(&role);
            let approves = Permission::Approve.roles().contains(&role);
            assert!(!(codes && approves), "{role} both codes and approves");
        }
    }

    #[test]
    fn user_names_are_checked() {
        assert!(check_user_name("anna.schmidt@example.com").is_ok());
        assert!(check_user_name("").is_err());
        assert!(check_user_name("a b").is_err());
        assert!(check_user_name(&"x".repeat(65)).is_err());
    }
}
