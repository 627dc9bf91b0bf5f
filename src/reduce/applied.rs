//! The security rows behind the results, without evaluating the app: which rows apply to each user
//! (they depend only on the user's identity key, so they are computed once per distinct key and shared),
//! and which rows name each GROUP value and what those rows grant. For reports that show every user's
//! applied rows (`report --format html`); [`Prepared::evaluate`] with `detail` gives the same rows per
//! user but also evaluates the app for kept-row bitsets, which is too slow for many users.

use super::{compact, first_seen, AppliedRow, Prepared, ProfileKey};
use crate::access::directory::User;
use crate::access::model::{Grant, Identity, IdentityKey};
use crate::model::bitset::Bitset;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The security rows that apply to users, shared by the users with the same rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppliedProfiles {
    /// Per user (in input order): the index of the user's rows in `profiles`; `None` for a user whose
    /// status keeps them out of the app (no row is looked at).
    pub of_user: Vec<Option<usize>>,
    /// Per distinct set of applicable rows, per security table (in model order): `None` = every row of
    /// the table (one no identity field reaches), else the 0-based rows, ascending.
    pub profiles: Vec<Vec<Option<Vec<u32>>>>,
}

/// The security rows that name one GROUP value, and what they grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupGrant {
    /// The GROUP cell as stored (it matches users holding a group whose upper-cased name equals it, I3).
    pub value: String,
    /// Per security table: the rows whose GROUP cell is `value`, with the rows linked to them (A3).
    pub rows: Vec<Option<Vec<u32>>>,
    /// What those rows grant together (ACCESS, reduction values, OMIT), as for a user they all apply to.
    pub grant: Grant,
}

impl Prepared<'_> {
    /// The security rows that apply to each user (I1–I4, A3): one evaluation of the security model per
    /// distinct identity key, no evaluation of the app.
    pub fn applied_profiles(&self, users: &[User]) -> AppliedProfiles {
        let (key_of, per_key) = self.applicable_by_key(users);
        let (distinct, profile_index) = first_seen(per_key.iter());
        let of_user = key_of
            .iter()
            .map(|k| profile_index.get(per_key.get((*k)?)?).copied())
            .collect();
        AppliedProfiles {
            of_user,
            profiles: distinct.into_iter().cloned().collect(),
        }
    }

    /// Per user, the number of its identity key (`None`: the user's status keeps them out of the app);
    /// per distinct key (in order of first appearance), the applicable rows. Users who match the same
    /// identity symbols share their applicable rows, so the security model is evaluated once per key.
    pub(super) fn applicable_by_key(
        &self,
        users: &[User],
    ) -> (Vec<Option<usize>>, Vec<ProfileKey>) {
        let sec = &self.security;
        let keys: Vec<Option<IdentityKey>> = users
            .par_iter()
            .map(|u| u.status.can_open().then(|| sec.identity_key(u)))
            .collect();
        let (key_list, key_index) = first_seen(keys.iter().flatten());
        let per_key: Vec<ProfileKey> = key_list
            .par_iter()
            .map(|k| compact(sec.applicable_for(k)))
            .collect();
        let key_of = keys
            .iter()
            .map(|k| key_index.get(k.as_ref()?).copied())
            .collect();
        (key_of, per_key)
    }

    /// Security row `row` (0-based) of security table `table`: its cells and where it comes from.
    pub fn security_row(&self, table: usize, row: usize) -> Option<AppliedRow> {
        let t = self.run.security.tables.get(table)?;
        (row < t.row_count()).then(|| row_of(t, row))
    }

    /// Every GROUP value the security tables list (not blank, not `*`), sorted: the rows that name it
    /// and what they grant.
    pub fn group_grants(&self) -> Vec<GroupGrant> {
        let sec = &self.security;
        let Some(&(_, fid)) = sec.identities.iter().find(|(id, _)| *id == Identity::Group) else {
            return vec![];
        };
        let Some(field) = sec.engine.fields.get(fid) else {
            return vec![];
        };
        let mut values: Vec<(String, u32)> = field
            .values
            .iter()
            .enumerate()
            .filter_map(|(s, v)| {
                let text = v.text()?.into_owned();
                let named = text != "*" && !crate::access::model::is_blank(Some(&text));
                named.then_some((text, s as u32))
            })
            .collect();
        values.sort();
        values.dedup_by(|a, b| a.0 == b.0);
        values
            .par_iter()
            .map(|(value, symbol)| {
                let mut b = Bitset::new(field.len());
                b.set(*symbol as usize);
                let key: IdentityKey = BTreeMap::from([(fid, b)]);
                let rows = compact(sec.applicable_for(&key));
                let grant = sec.grant(&self.run.security, &self.expand(&rows));
                GroupGrant {
                    value: value.clone(),
                    rows,
                    grant,
                }
            })
            .collect()
    }
}

/// Row `r` of security table `t` as an [`AppliedRow`] (NULL cells as empty text).
pub(super) fn row_of(t: &crate::model::Table, r: usize) -> AppliedRow {
    AppliedRow {
        table: t.name.clone(),
        row: r,
        origin: t.origins.get(r),
        cells: t
            .fields
            .iter()
            .zip(&t.columns)
            .map(|(f, c)| {
                let text = c.get(r).map(|v| v.text_or_empty().into_owned());
                (f.clone(), text.unwrap_or_default())
            })
            .collect(),
    }
}
