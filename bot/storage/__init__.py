"""Storage: SQLAlchemy tables, repositories, encryption at rest and the Alembic runner."""
