using PsBackup.Engine.Providers.Files;

namespace PsBackup.Engine.Tests.Files;

/// <summary>Which owner a restored file gets (GNU tar's rules); the real chown is in FidelityTests.</summary>
public sealed class OwnerMappingTests
{
    private static uint? Users(string name) => name switch { "postgres" => 105, "www-data" => 33, _ => null };

    private static uint? Groups(string name) => name switch { "ssl-cert" => 110, _ => null };

    [Fact]
    public void By_name_when_this_machine_knows_it_else_by_number()
    {
        var owners = new OwnerMapping(canChown: true, numericOwner: false, Users, Groups);
        Assert.Equal((105u, 110u), owners.Resolve(999, 998, "postgres", "ssl-cert"));  // names win over numbers
        Assert.Equal((999u, 998u), owners.Resolve(999, 998, "gone", "gone-too"));      // unknown names: the numbers
        Assert.Equal((999u, 110u), owners.Resolve(999, 998, null, "ssl-cert"));        // a uid without a name
    }

    [Fact]
    public void NumericOwner_always_uses_the_numbers()
    {
        var owners = new OwnerMapping(canChown: true, numericOwner: true, Users, Groups);
        Assert.Equal((999u, 998u), owners.Resolve(999, 998, "postgres", "ssl-cert"));
    }

    [Fact]
    public void Without_chown_rights_or_recorded_owners_nothing_changes()
    {
        Assert.Null(new OwnerMapping(canChown: false, numericOwner: false, Users, Groups).Resolve(999, 998, "postgres", "ssl-cert"));
        Assert.Null(new OwnerMapping(canChown: true, numericOwner: false, Users, Groups).Resolve(null, null, null, null)); // a format 1 index
    }
}
