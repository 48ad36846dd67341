using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class ModelRegistry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "model_stage_changes",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    model_name = table.Column<string>(type: "text", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    from_stage = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    to_stage = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    comment = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    actor = table.Column<string>(type: "text", nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_model_stage_changes", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "registered_models",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    description = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_by = table.Column<string>(type: "text", nullable: false),
                    owner_id = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_registered_models", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "model_versions",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    model_name = table.Column<string>(type: "character varying(100)", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    stage = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    method = table.Column<string>(type: "text", nullable: false),
                    preset = table.Column<string>(type: "text", nullable: false),
                    dataset = table.Column<string>(type: "text", nullable: false),
                    label_family = table.Column<string>(type: "text", nullable: true),
                    source_domain = table.Column<string>(type: "text", nullable: false),
                    adapter_blob = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    backbone_blob = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    backbone_name = table.Column<string>(type: "text", nullable: true),
                    source_experiment_id = table.Column<Guid>(type: "uuid", nullable: true),
                    spec_json = table.Column<string>(type: "jsonb", nullable: false),
                    configuration_hash = table.Column<string>(type: "text", nullable: false),
                    metrics_json = table.Column<string>(type: "jsonb", nullable: false),
                    trainable_parameters = table.Column<long>(type: "bigint", nullable: false),
                    total_parameters = table.Column<long>(type: "bigint", nullable: false),
                    registered_by = table.Column<string>(type: "text", nullable: false),
                    registered_by_id = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: true),
                    registered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_model_versions", x => x.id);
                    table.ForeignKey(
                        name: "fk_model_versions_registered_models_model_name",
                        column: x => x.model_name,
                        principalTable: "registered_models",
                        principalColumn: "name",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_model_stage_changes_model_name_at",
                table: "model_stage_changes",
                columns: new[] { "model_name", "at" });

            migrationBuilder.CreateIndex(
                name: "ix_model_versions_adapter_blob",
                table: "model_versions",
                column: "adapter_blob");

            migrationBuilder.CreateIndex(
                name: "ix_model_versions_backbone_blob",
                table: "model_versions",
                column: "backbone_blob");

            migrationBuilder.CreateIndex(
                name: "ix_model_versions_model_name_version",
                table: "model_versions",
                columns: new[] { "model_name", "version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_model_versions_one_production",
                table: "model_versions",
                column: "model_name",
                unique: true,
                filter: "stage = 'production'");

            migrationBuilder.CreateIndex(
                name: "ix_model_versions_source_experiment_id",
                table: "model_versions",
                column: "source_experiment_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "model_stage_changes");

            migrationBuilder.DropTable(
                name: "model_versions");

            migrationBuilder.DropTable(
                name: "registered_models");
        }
    }
}
