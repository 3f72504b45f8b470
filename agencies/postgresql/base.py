"""Django's PostgreSQL backend, with row-level security following the tenancy scope.

The settings name this backend (`ENGINE = "agencies.postgresql"`, see
config/settings/env.py `database_from_url`). It adds two things to Django's own:
- around every statement, the transaction's row-level security settings are brought in line
  with the scope of the code running it (`agencies.row_level_security.before_statement`; a
  round trip only when they differ);
- a commit, a rollback or a savepoint rollback makes it forget what it set, since
  transaction-scoped settings end (or may be reverted) there.
"""

from django.db.backends.postgresql import base

from agencies import row_level_security


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # First in the list, so innermost: it runs right before the driver, after any
        # wrapper a test adds to count or inspect statements.
        self.execute_wrappers.append(row_level_security.before_statement)

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        row_level_security.transaction_ended(self)
        self.rapport_prepared = {}  # name -> statement prepared on this session (decision 183)
        return connection

    def _commit(self):
        super()._commit()
        row_level_security.transaction_ended(self)

    def _rollback(self):
        super()._rollback()
        row_level_security.transaction_ended(self)

    def _savepoint_rollback(self, sid):
        super()._savepoint_rollback(sid)
        row_level_security.savepoint_rolled_back(self)
