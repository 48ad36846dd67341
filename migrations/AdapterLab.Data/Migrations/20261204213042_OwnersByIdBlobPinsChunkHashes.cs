using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class OwnersByIdBlobPinsChunkHashes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "owner_id",
                table: "suites",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "owner_id",
                table: "experiments",
                type: "character varying(80)",
                maxLength: 80,
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "sha256",
                table: "blob_chunks",
                type: "bytea",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "blob_pins",
                columns: table => new
                {
                    hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    experiment_id = table.Column<Guid>(type: "uuid", nullable: false),
                    pinned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_blob_pins", x => new { x.hash, x.experiment_id });
                });

            migrationBuilder.CreateIndex(
                name: "ix_blob_pins_experiment_id",
                table: "blob_pins",
                column: "experiment_id");

            // Existing owners were names: map each to an id where the name is unambiguous. A user's email → user:<id>;
            // apikey:<name> → user:<owner> when the only key of that name belongs to a user, key:<id> when it belongs to
            // nobody. Names shared by several keys stay unmapped (owner_id null): only admins manage those experiments.
            migrationBuilder.Sql("""
                UPDATE experiments e SET owner_id = 'user:' || u.id
                FROM "AspNetUsers" u WHERE e.owner IS NOT NULL AND e.owner = u.user_name;
                UPDATE experiments e SET owner_id = CASE WHEN k.owner_user_id IS NOT NULL THEN 'user:' || k.owner_user_id ELSE 'key:' || k.id END
                FROM api_keys k
                WHERE e.owner_id IS NULL AND e.owner = 'apikey:' || k.name
                  AND (SELECT count(*) FROM api_keys k2 WHERE k2.name = k.name) = 1;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "blob_pins");

            migrationBuilder.DropColumn(
                name: "owner_id",
                table: "suites");

            migrationBuilder.DropColumn(
                name: "owner_id",
                table: "experiments");

            migrationBuilder.DropColumn(
                name: "sha256",
                table: "blob_chunks");
        }
    }
}
