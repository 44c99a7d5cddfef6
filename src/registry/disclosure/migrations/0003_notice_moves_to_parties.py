from django.db import migrations


class Migration(migrations.Migration):
    """The parties app owns notices now (same table): forget them here, keep the rows."""

    dependencies = [("disclosure", "0002_corsia_eligibility_moves_to_units"), ("parties", "0005_notice")]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Notice")], database_operations=[])]
